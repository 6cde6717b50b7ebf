/** Bench group: facts about the machine the table was made on. */
import os from 'node:os';
import type { BenchGroup } from '../table.ts';

export const machineGroup: BenchGroup = {
  name: 'machine',
  description: 'facts about the machine the table was made on',
  async run(report) {
    const cpu = os.cpus()[0];
    report({ figure: 'cpu', value: cpu ? cpu.model.trim() : 'unknown', unit: '' });
    report({ figure: 'cores', value: os.availableParallelism(), unit: 'cores' });
    report({ figure: 'memory', value: os.totalmem() / 2 ** 30, unit: 'GiB' });
    report({ figure: 'node', value: process.version, unit: '' });
  },
};
