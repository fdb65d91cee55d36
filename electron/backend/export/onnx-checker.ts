// Runs the reference ONNX checker (Debian's python3-onnx) on a model file, when it is installed.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

const PYTHON = '/usr/bin/python3';

export type OnnxCheckResult = { status: 'passed' } | { status: 'failed'; reason: string } | { status: 'unavailable'; reason: string };

export function checkOnnxModel(modelPath: string): Promise<OnnxCheckResult> {
  if (!existsSync(PYTHON)) return Promise.resolve({ status: 'unavailable', reason: `${PYTHON} is not installed` });
  const script = [
    'import sys',
    'try:\n    import onnx\nexcept ImportError:\n    print("NO_ONNX"); sys.exit(3)',
    'onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)',
    'print("OK")',
  ].join('\n');
  return new Promise((resolve) => {
    execFile(PYTHON, ['-c', script, modelPath], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (stdout.includes('NO_ONNX')) {
        resolve({ status: 'unavailable', reason: `${PYTHON} lacks the onnx module (apt-get install -y python3-onnx)` });
      } else if (error) {
        resolve({ status: 'failed', reason: `${modelPath}: ${stderr.trim().split('\n').slice(-3).join(' ') || error.message}` });
      } else {
        resolve({ status: 'passed' });
      }
    });
  });
}
