// `finetune export-job`: the training job for a GPU machine, to run with PyTorch + Transformers + Accelerate
// (resources/job/train.py): the labeled documents as JSONL with the app's split stored (stratified, deduplicated,
// synthetic examples only in training), job.json with every setting, train.py, pinned requirements and a README
// with the launch commands. `finetune import-run` brings the job's output back as a run of the project.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_FINE_TUNE_EPOCHS, type TrainSettings } from '../../../shared/domain.js';
import { packageRoot } from './resources.js';
import type { TrainJob } from '../training/job.js';
import { nearDuplicateKeys, prepare, type PreparedData } from '../training/prepare.js';
import { ProgressReporter } from '../training/progress.js';
import { strategyWithoutSearch } from '../training/transformer/job.js';

/** What `train.py` reads, besides the data. */
export interface JobSettings {
  format: 'finetune-job-v1';
  task: TrainJob['task'];
  labels: string[];
  pairs: boolean;
  data: string;
  /** A Hugging Face hub id or a folder on the GPU machine. */
  model: string;
  strategy: string;
  loss: 'cross_entropy' | 'weighted_cross_entropy' | 'focal' | 'bce' | 'focal_bce';
  weights: string | null;
  gamma: number;
  sampling: string;
  depth: string;
  epochs: number;
  patience: number;
  batch_size: number;
  max_length: number;
  learning_rate: number;
  head_learning_rate: number;
  seed: number;
  split: { seed: number; valFraction: number; testFraction: number; train: number; val: number; test: number };
}

/** A small, widely used model, when the user names none. */
export const DEFAULT_JOB_MODEL = 'distilbert-base-uncased';

export const JOB_REQUIREMENTS = ['torch==2.5.1', 'transformers==4.46.3', 'accelerate==1.1.1', 'safetensors==0.4.5', 'onnx==1.17.0', 'numpy==2.1.3'];

function strategyOf(job: TrainJob, data: PreparedData): Pick<JobSettings, 'strategy' | 'loss' | 'weights' | 'gamma' | 'sampling'> {
  const { spec } = strategyWithoutSearch(job, job.settings, data);
  const gamma = spec.gamma ?? 0;
  const multi = job.task === 'multi_label';
  const loss = multi ? (gamma > 0 ? 'focal_bce' : 'bce') : gamma > 0 ? 'focal' : spec.weights ? 'weighted_cross_entropy' : 'cross_entropy';
  return { strategy: spec.strategy, loss, weights: spec.weights ?? null, gamma, sampling: spec.sampling };
}

function readme(settings: JobSettings): string {
  return `# Finetune training job

${settings.split.train} training, ${settings.split.val} validation and ${settings.split.test} test documents (split stored in data.jsonl,
seed ${settings.split.seed}), ${settings.labels.length} classes, ${settings.task}${settings.pairs ? ', sentence pairs' : ''}; model \`${settings.model}\`,
depth ${settings.depth}, loss ${settings.loss}${settings.weights ? ` (${settings.weights} class weights)` : ''}, sampling ${settings.sampling}.

\`\`\`sh
pip install -r requirements.txt
python3 train.py --job job.json --dry-run            # checks the job and the data
python3 train.py --self-test                         # the losses and metrics on known cases

# one GPU (or the CPU)
accelerate launch train.py --job job.json --output output
# N GPUs on this machine
accelerate launch --multi_gpu --num_processes N train.py --job job.json --output output
# several machines: run on each, with its rank (0 on the main one)
accelerate launch --multi_gpu --num_machines M --num_processes TOTAL_GPUS --machine_rank RANK \\
  --main_process_ip MAIN_HOST --main_process_port 29500 train.py --job job.json --output output
# or with torchrun
torchrun --nproc_per_node N train.py --job job.json --output output
\`\`\`

\`output/\` then holds metrics.json (the app's shape), predictions.csv, model/ (safetensors) and export/ (ONNX).
Bring it back: \`npx finetune import-run output --project YOUR.ftproj --job job.json\`.
Edit \`model\` in job.json to use another Hugging Face model (a hub id, or a folder on this machine).
`;
}

/** Where train.py is: resources/job in a checkout (`templateDir`: the packaged app's resources folder has its copy). */
export async function exportJob(job: TrainJob, outDir: string, model: string, templateDir = path.join(packageRoot(), 'resources', 'job')): Promise<{ files: string[]; settings: JobSettings }> {
  const keys = await nearDuplicateKeys([...job.examples, ...(job.test ?? [])], new ProgressReporter(() => {}));
  const data = prepare(job, (e) => keys.get(e)!);
  const role = new Map<number, 'train' | 'val' | 'test'>();
  for (const part of ['train', 'val', 'test'] as const) for (const i of data.split[part]) role.set(i, part);
  const lines = [...role.entries()].sort((a, b) => a[0] - b[0]).map(([i, split]) => {
    const e = data.all[i];
    return JSON.stringify({ id: e.id, text: e.text, ...(e.pair !== undefined ? { pair: e.pair } : {}), labels: e.labels, split, ...(e.synthetic ? { synthetic: true } : {}) });
  });
  const s: TrainSettings = job.settings;
  const settings: JobSettings = {
    format: 'finetune-job-v1',
    task: job.task,
    labels: job.labels,
    pairs: job.pairs === true,
    data: 'data.jsonl',
    model,
    ...strategyOf(job, data),
    depth: s.depth && s.depth !== 'contrastive' ? s.depth : 'full',
    epochs: s.fineTune?.epochs ?? DEFAULT_FINE_TUNE_EPOCHS,
    patience: 1,
    batch_size: s.fineTune?.batchSize ?? 16,
    max_length: s.fineTune?.maxLength ?? 128,
    learning_rate: s.fineTune?.learningRate ?? 2e-5,
    head_learning_rate: s.fineTune?.headLearningRate ?? 1e-3,
    seed: s.seed,
    split: { seed: s.seed, valFraction: s.valFraction, testFraction: s.testFraction, train: data.split.train.length, val: data.split.val.length, test: data.split.test.length },
  };
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'data.jsonl'), lines.join('\n') + '\n');
  await writeFile(path.join(outDir, 'job.json'), JSON.stringify(settings, null, 2) + '\n');
  await copyFile(path.join(templateDir, 'train.py'), path.join(outDir, 'train.py'));
  await writeFile(path.join(outDir, 'requirements.txt'), JOB_REQUIREMENTS.join('\n') + '\n');
  await writeFile(path.join(outDir, 'README.md'), readme(settings));
  return { files: ['data.jsonl', 'job.json', 'train.py', 'requirements.txt', 'README.md'], settings };
}
