// Training in an Electron utilityProcess: the same worker entry as the Node child process, behind WorkerPort.
import { utilityProcess } from 'electron';
import { keepTail, lastErrorLine, type WorkerSpawner } from '../backend/training/worker-client.js';
import type { FromWorker } from '../backend/training/worker-protocol.js';

export function utilityProcessSpawner(workerFile: string): WorkerSpawner {
  return () => {
    const child = utilityProcess.fork(workerFile, [], { serviceName: 'Finetune training', stdio: ['ignore', 'inherit', 'pipe'] });
    const stderr = child.stderr ? keepTail(child.stderr, process.stderr) : () => '';
    let exited = false;
    child.on('exit', () => (exited = true));
    return {
      get pid() {
        return child.pid;
      },
      postMessage: (message) => {
        if (!exited) child.postMessage(message);
      },
      onMessage: (listener) => child.on('message', (message) => listener(message as FromWorker)),
      // A utilityProcess reports only an exit code, never the signal.
      onExit: (listener) => child.on('exit', (code) => listener(code, null, lastErrorLine(stderr()))),
      kill: () => {
        if (!exited) child.kill();
      },
    };
  };
}
