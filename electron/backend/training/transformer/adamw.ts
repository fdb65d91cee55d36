// AdamW (decoupled weight decay, Loshchilov & Hutter) with linear warm-up then linear decay to zero, and
// clipping by the global gradient norm, as transformers' Trainer does by default. Two learning rates: one for
// the pretrained body, a larger one for the new head.
import type * as tfTypes from '@tensorflow/tfjs';
import type { TfRuntime } from '../../tf/backend.js';

type Tf = TfRuntime['tf'];

export interface AdamWSettings {
  bodyLearningRate: number;
  headLearningRate: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Largest global gradient norm; larger gradients are scaled down to it. */
  clipNorm: number;
  warmupSteps: number;
  totalSteps: number;
}

export const DEFAULT_ADAMW: Omit<AdamWSettings, 'warmupSteps' | 'totalSteps'> = {
  bodyLearningRate: 2e-5,
  headLearningRate: 1e-3,
  weightDecay: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  clipNorm: 1,
};

export interface ParameterGroup {
  variable: tfTypes.Variable;
  head: boolean;
  decays: boolean;
}

/**
 * The schedule's multiplier for the update after `done` updates (0-based, as transformers'
 * get_linear_schedule_with_warmup): rises linearly over warm-up, then falls linearly to 0 at totalSteps.
 */
export function scheduleFactor(done: number, warmupSteps: number, totalSteps: number): number {
  if (done < warmupSteps) return done / warmupSteps;
  return Math.max(0, (totalSteps - done) / Math.max(1, totalSteps - warmupSteps));
}

export class AdamW {
  private step = 0;
  private readonly moments: Array<{ m: tfTypes.Variable; v: tfTypes.Variable }>;

  constructor(private readonly tf: Tf, private readonly groups: ParameterGroup[], private readonly settings: AdamWSettings) {
    this.moments = groups.map(({ variable }) => ({
      m: tf.variable(tf.zerosLike(variable), false),
      v: tf.variable(tf.zerosLike(variable), false),
    }));
  }

  get steps(): number {
    return this.step;
  }

  /** The moments and the step count, in group order (what a checkpoint keeps to resume exactly). */
  snapshot(): { step: number; moments: Array<{ m: Float32Array; v: Float32Array }> } {
    return { step: this.step, moments: this.moments.map(({ m, v }) => ({ m: Float32Array.from(m.dataSync()), v: Float32Array.from(v.dataSync()) })) };
  }

  restore(state: { step: number; moments: Array<{ m: Float32Array; v: Float32Array }> }): void {
    if (state.moments.length !== this.moments.length) throw new Error(`optimiser state: ${state.moments.length} groups saved, ${this.moments.length} expected`);
    this.step = state.step;
    this.tf.tidy(() => this.moments.forEach(({ m, v }, i) => {
      m.assign(this.tf.tensor(state.moments[i].m, m.shape));
      v.assign(this.tf.tensor(state.moments[i].v, v.shape));
    }));
  }

  /** Applies one update from gradients in group order; returns the global norm before clipping. */
  apply(gradients: tfTypes.Tensor[]): number {
    const { tf, settings: s } = this;
    const factor = scheduleFactor(this.step, s.warmupSteps, s.totalSteps);
    this.step += 1;
    const norm = tf.tidy(() => Math.sqrt(tf.addN(gradients.map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
    const clip = Number.isFinite(norm) && norm > s.clipNorm ? s.clipNorm / norm : 1;
    const correction1 = 1 - s.beta1 ** this.step;
    const correction2 = 1 - s.beta2 ** this.step;
    tf.tidy(() => {
      this.groups.forEach((group, i) => {
        const lr = (group.head ? s.headLearningRate : s.bodyLearningRate) * factor;
        const g = clip === 1 ? gradients[i] : tf.mul(gradients[i], clip);
        const { m, v } = this.moments[i];
        m.assign(tf.add(tf.mul(m, s.beta1), tf.mul(g, 1 - s.beta1)));
        v.assign(tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(g), 1 - s.beta2)));
        const update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), s.epsilon));
        // Decoupled decay: shrink the weight itself, not through the gradient (PyTorch's AdamW order).
        const decayed = group.decays && s.weightDecay > 0 ? tf.mul(group.variable, 1 - lr * s.weightDecay) : group.variable;
        group.variable.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    });
    return norm;
  }

  dispose(): void {
    for (const { m, v } of this.moments) {
      m.dispose();
      v.dispose();
    }
  }
}
