/** A winston logger that keeps every line it is given (JSON, one per entry), for tests that check what was logged. */
import { Writable } from 'node:stream';
import winston from 'winston';

export function capturingLogger(lines: string[]): winston.Logger {
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream })],
  });
}
