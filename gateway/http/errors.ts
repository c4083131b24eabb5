import type { FastifyError, FastifyInstance } from "fastify";

/** Every error leaves as `{ error, message }` JSON (CONTRACTS.md); 5xx details are logged, never sent. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode ?? 500;
    if (err.validation !== undefined) {
      return reply.code(400).send({ error: "bad_request", message: err.message });
    }
    if (status >= 500) {
      request.log.error({ err }, "request failed");
      return reply.code(status).send({ error: "internal", message: "internal error; see the gateway log" });
    }
    return reply.code(status).send({ error: err.code?.toLowerCase() ?? "error", message: err.message });
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send({ error: "not_found", message: `no route ${request.method} ${request.url.split("?")[0]}` });
  });
}

/** An error with an HTTP status and a stable code, answered as `{ error: code, message }`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}
