/**
 * The baseline for broadcast fan-out: a bare `ws` server that relays each message to every other
 * socket, the same Buffer to all. Run as a child process by broadcast-fanout.ts.
 */
import { WebSocketServer, WebSocket } from 'ws';

const port = Number(process.argv[2]);
const wss = new WebSocketServer({ port, host: '127.0.0.1' });
wss.on('connection', (socket) => {
	socket.on('message', (data: Buffer) => {
		for (const peer of wss.clients) {
			if (peer !== socket && peer.readyState === WebSocket.OPEN) peer.send(data, { binary: false });
		}
	});
});
wss.on('listening', () => console.log('ready'));
process.on('SIGTERM', () => wss.close(() => process.exit(0)));
