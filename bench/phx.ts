/**
 * A minimal Phoenix (vsn 2.0.0) client for load generation: hundreds of these are cheaper than
 * hundreds of supabase-js clients, and they speak the same frames.
 */
import WebSocket from 'ws';

export type Frame = [string | null, string | null, string, string, Record<string, unknown>];

export class PhxSocket {
	readonly ws: WebSocket;
	#ref = 0;
	#handlers = new Set<(frame: Frame) => void>();
	readonly opened: Promise<void>;
	#heartbeat: ReturnType<typeof setInterval>;

	constructor(url: string, apikey: string) {
		const wsUrl = `${url.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${encodeURIComponent(apikey)}&vsn=2.0.0`;
		this.ws = new WebSocket(wsUrl);
		this.opened = new Promise((resolve, reject) => {
			this.ws.once('open', () => resolve());
			this.ws.once('error', reject);
		});
		// The server closes sockets that stay silent past its idle timeout, as Phoenix clients know.
		this.#heartbeat = setInterval(() => {
			if (this.ws.readyState === WebSocket.OPEN) this.push('phoenix', 'heartbeat', {}, null);
		}, 25_000);
		this.#heartbeat.unref();
		this.ws.on('close', () => clearInterval(this.#heartbeat));
		this.ws.on('message', (data, isBinary) => {
			if (isBinary) return;
			const frame = JSON.parse(data.toString()) as Frame;
			for (const handler of this.#handlers) handler(frame);
		});
	}

	on(handler: (frame: Frame) => void): () => void {
		this.#handlers.add(handler);
		return () => this.#handlers.delete(handler);
	}

	push(topic: string, event: string, payload: Record<string, unknown>, joinRef: string | null = '1'): string {
		const ref = String(++this.#ref);
		this.ws.send(JSON.stringify([joinRef, ref, topic, event, payload]));
		return ref;
	}

	/** Joins and resolves on the ok reply. */
	join(topic: string, config: Record<string, unknown>, accessToken?: string): Promise<void> {
		const ref = this.push(topic, 'phx_join', {
			config,
			...(accessToken ? { access_token: accessToken } : {})
		});
		return new Promise((resolve, reject) => {
			const off = this.on(([, r, , event, payload]) => {
				if (event !== 'phx_reply' || r !== ref) return;
				off();
				if (payload.status === 'ok') resolve();
				else reject(new Error(`join ${topic} refused: ${JSON.stringify(payload.response)}`));
			});
		});
	}

	close(): void {
		this.ws.close();
	}
}
