/**
 * The part of the WebAssembly JS API the project uses (elementwise-passes-wasm.ts). Node 20 has all of it; @types/node
 * 20
 * declares none of it, and the DOM lib that does is not part of this build.
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}
