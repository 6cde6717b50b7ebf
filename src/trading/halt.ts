/** Trading must stop (live kill switch, unreconcilable state); the message says why and is kept on the run. */
export class HaltError extends Error {
  override name = 'HaltError';
}
