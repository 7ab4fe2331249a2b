/**
 * The floor for broadcast and connections: a bare `ws` server speaking just enough of the Phoenix
 * frame to relay each message to every other socket of its topic (the same Buffer to all). Run as
 * a child process (`node --import tsx bench/bare-relay.ts <port>`); prints "ready".
 */
import { WebSocketServer, WebSocket } from 'ws';

const port = Number(process.argv[2]);
const wss = new WebSocketServer({ port, host: '127.0.0.1' });
const topics = new Map<string, Set<WebSocket>>();
wss.on('connection', (socket) => {
	let members: Set<WebSocket> | undefined;
	socket.on('message', (data: Buffer) => {
		const [joinRef, ref, topic, event] = JSON.parse(data.toString()) as [unknown, unknown, string, string];
		if (event === 'phx_join') {
			members = topics.get(topic) ?? new Set();
			topics.set(topic, members);
			members.add(socket);
			socket.send(JSON.stringify([joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} }]));
			return;
		}
		for (const peer of members ?? []) {
			if (peer !== socket && peer.readyState === WebSocket.OPEN) peer.send(data, { binary: false });
		}
	});
	socket.on('close', () => members?.delete(socket));
});
wss.on('listening', () => console.log('ready'));
process.on('SIGTERM', () => wss.close(() => process.exit(0)));
