// The fields every export's config.json carries besides the architecture: the classes in output order, the
// calibration, the decision rule and what each graph output means (one description for every kind of model).
import type { CalibratedOutputsSpec } from './graph.js';

export interface ExportedEncoder {
  spec: string;
  id: string;
  description: string;
  dim?: number;
}

export function exportConfigBlock(manifest: CalibratedOutputsSpec, encoder: ExportedEncoder, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const id2label = Object.fromEntries(manifest.labels.map((label, i) => [String(i), label]));
  const label2id = Object.fromEntries(manifest.labels.map((label, i) => [label, i]));
  const byLabel = (values: number[] | null | undefined) => (values ? Object.fromEntries(manifest.labels.map((l, i) => [l, values[i]])) : null);
  const thresholds = byLabel(manifest.thresholds);
  const rule = manifest.task === 'single_label' ? manifest.decisionRule : null;
  const decision = rule ? { rule: 'predicted = argmax over classes of scale * probability - shift', scale: byLabel(rule.scale), shift: byLabel(rule.shift) } : null;
  const calibrationBias = byLabel(manifest.calibrationBias);
  return {
    problem_type: manifest.task === 'single_label' ? 'single_label_classification' : 'multi_label_classification',
    num_labels: manifest.labels.length,
    id2label,
    label2id,
    temperature: manifest.temperature,
    calibration_bias: calibrationBias,
    thresholds,
    decision,
    finetune: {
      format: 'finetune-onnx-export-v1',
      task: manifest.task,
      labels: manifest.labels,
      temperature: manifest.temperature,
      calibration_bias: calibrationBias,
      thresholds,
      decision,
      encoder,
      ...extra,
      outputs: {
        logits: 'calibrated logits: (head logits) / temperature + calibration_bias',
        probabilities: manifest.task === 'single_label' ? 'softmax of logits' : 'sigmoid of logits',
        ...(manifest.task === 'single_label'
          ? { predicted_class: 'the decided class, by config.json decision: not always the most probable class when a rare class is favoured on purpose' }
          : { predicted: 'probabilities >= thresholds, per class' }),
      },
    },
    'transformers.js_config': { dtype: 'fp32' },
  };
}
