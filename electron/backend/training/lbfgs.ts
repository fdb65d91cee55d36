// Limited-memory BFGS (Nocedal & Wright 2006, algorithms 7.4 and 3.5/3.6) for smooth unconstrained objectives in
// float64: the solver behind the linear head, which must reach what scikit-learn's lbfgs reaches on the same
// problem. The line search enforces the strong Wolfe conditions, so every step keeps the curvature pair positive.

/** Returns f(x) and writes ∇f(x) into grad (same length as x). */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** Stop when ‖∇f‖∞ ≤ gradientTolerance · max(1, |f|) (scikit-learn's lbfgs uses a projected-gradient test alike). */
  gradientTolerance?: number;
  /** Stop when the relative decrease of f over one iteration falls under this. */
  relativeDecrease?: number;
  maxIterations?: number;
  /** Curvature pairs kept. */
  memory?: number;
  /**
   * Called after each iteration; returning (or resolving to) false stops the solver. Long fits await it to yield to
   * the event loop, so progress keeps flowing and a cancel is heard within one iteration.
   */
  onIteration?: (iteration: number, value: number) => boolean | void | Promise<boolean | void>;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
  /** Largest |∂f/∂x_i| at the solution. */
  gradientMax: number;
  converged: boolean;
  stoppedBy: 'gradient' | 'decrease' | 'iterations' | 'line-search' | 'callback';
}

const C1 = 1e-4;
const C2 = 0.9;

type Vector = Float64Array | Float32Array;

function dot(a: Vector, b: Vector): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Vector): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m) m = v;
  }
  return m;
}

/** Minimiser of the cubic through (a, fa, ga) and (b, fb, gb), clamped inside [a, b] (N&W eq. 3.59). */
function cubicMinimiser(a: number, fa: number, ga: number, b: number, fb: number, gb: number): number {
  const d1 = ga + gb - 3 * ((fa - fb) / (a - b));
  const radicand = d1 * d1 - ga * gb;
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (radicand >= 0) {
    const d2 = Math.sign(b - a) * Math.sqrt(radicand);
    const t = b - (b - a) * ((gb + d2 - d1) / (gb - ga + 2 * d2));
    if (Number.isFinite(t) && t > lo + 0.1 * (hi - lo) && t < hi - 0.1 * (hi - lo)) return t;
  }
  return (lo + hi) / 2;
}

export async function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions = {}): Promise<LbfgsResult> {
  const gradientTolerance = options.gradientTolerance ?? 1e-6;
  const relativeDecrease = options.relativeDecrease ?? 1e-10;
  const maxIterations = options.maxIterations ?? 500;
  const memory = options.memory ?? 8;
  const n = x0.length;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let f = objective(x, g);
  let evaluations = 1;
  if (!Number.isFinite(f)) throw new Error(`lbfgs: the objective is ${f} at the starting point`);
  // The curvature pairs are kept in float32: they only shape the approximate inverse Hessian, and at half the bytes
  // the two-loop recursion over a 300k-parameter head is half as memory-bound.
  const s: Float32Array[] = [];
  const y: Float32Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(memory);
  const direction = new Float64Array(n);
  const trial = new Float64Array(n);
  const trialGradient = new Float64Array(n);
  let iterations = 0;
  // sᵀy / yᵀy of the newest pair: the scale of the initial inverse Hessian.
  let gammaNumerator = 1;
  let gammaDenominator = 1;
  let stoppedBy: LbfgsResult['stoppedBy'] = 'iterations';

  const converged = () => maxAbs(g) <= gradientTolerance * Math.max(1, Math.abs(f));
  if (converged()) return { x, value: f, iterations: 0, evaluations, gradientMax: maxAbs(g), converged: true, stoppedBy: 'gradient' };

  /** f and ∇f at x + t·direction, into trial / trialGradient. */
  const evaluateAt = (t: number): number => {
    for (let i = 0; i < n; i++) trial[i] = x[i] + t * direction[i];
    evaluations++;
    return objective(trial, trialGradient);
  };

  while (iterations < maxIterations) {
    // Two-loop recursion: direction = -H·g. Each pass over a stored vector also takes the dot product the next step
    // needs, so the memory-bound loop reads every vector once per direction.
    const m = s.length;
    let sDotNext = 0;
    for (let i = 0; i < n; i++) {
      const d = -g[i];
      direction[i] = d;
      if (m) sDotNext += s[m - 1][i] * d;
    }
    for (let j = m - 1; j >= 0; j--) {
      const a = rho[j] * sDotNext;
      alpha[j] = a;
      const yj = y[j];
      const sPrev = j > 0 ? s[j - 1] : null;
      sDotNext = 0;
      if (sPrev) {
        for (let i = 0; i < n; i++) {
          const d = direction[i] - a * yj[i];
          direction[i] = d;
          sDotNext += sPrev[i] * d;
        }
      } else {
        for (let i = 0; i < n; i++) direction[i] -= a * yj[i];
      }
    }
    const gamma = m ? gammaNumerator / gammaDenominator : 1 / Math.max(1, maxAbs(g) * Math.sqrt(n));
    let yDotNext = 0;
    for (let i = 0; i < n; i++) {
      const d = direction[i] * gamma;
      direction[i] = d;
      if (m) yDotNext += y[0][i] * d;
    }
    for (let j = 0; j < m; j++) {
      const step = alpha[j] - rho[j] * yDotNext;
      const sj = s[j];
      const yNext = j + 1 < m ? y[j + 1] : null;
      yDotNext = 0;
      if (yNext) {
        for (let i = 0; i < n; i++) {
          const d = direction[i] + step * sj[i];
          direction[i] = d;
          yDotNext += yNext[i] * d;
        }
      } else {
        for (let i = 0; i < n; i++) direction[i] += step * sj[i];
      }
    }
    let slope0 = dot(g, direction);
    if (!(slope0 < 0)) {
      // Not a descent direction (lost curvature information): restart from steepest descent.
      s.length = y.length = rho.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -g[i] / Math.max(1, maxAbs(g) * Math.sqrt(n));
      slope0 = dot(g, direction);
    }

    // Strong-Wolfe line search: bracket, then zoom with cubic interpolation.
    const f0 = f;
    let step = 1;
    let previousStep = 0;
    let previousF = f0;
    let previousSlope = slope0;
    let accepted = false;
    let acceptedF = f0;
    const zoom = (lo: number, flo: number, glo: number, hi: number, fhi: number, ghi: number): boolean => {
      for (let k = 0; k < 30; k++) {
        const t = cubicMinimiser(lo, flo, glo, hi, fhi, ghi);
        const ft = evaluateAt(t);
        const gt = dot(trialGradient, direction);
        if (!Number.isFinite(ft) || ft > f0 + C1 * t * slope0 || ft >= flo) {
          hi = t;
          fhi = ft;
          ghi = gt;
        } else {
          if (Math.abs(gt) <= -C2 * slope0) {
            acceptedF = ft;
            return true;
          }
          if (gt * (hi - lo) >= 0) {
            hi = lo;
            fhi = flo;
            ghi = glo;
          }
          lo = t;
          flo = ft;
          glo = gt;
        }
        if (Math.abs(hi - lo) < 1e-14 * Math.max(1, Math.abs(lo))) break;
      }
      // Fall back to the best point seen if it decreases f (keeps progress on a flat, noisy end game).
      if (flo < f0 && lo > 0) {
        acceptedF = evaluateAt(lo);
        return acceptedF < f0;
      }
      return false;
    };
    for (let k = 0; k < 40; k++) {
      const ft = evaluateAt(step);
      const gt = Number.isFinite(ft) ? dot(trialGradient, direction) : Number.NaN;
      if (!Number.isFinite(ft) || ft > f0 + C1 * step * slope0 || (k > 0 && ft >= previousF)) {
        if (!Number.isFinite(ft)) {
          // Overflow far out: shrink and keep bracketing.
          step = previousStep + (step - previousStep) / 4;
          continue;
        }
        accepted = zoom(previousStep, previousF, previousSlope, step, ft, gt);
        break;
      }
      if (Math.abs(gt) <= -C2 * slope0) {
        accepted = true;
        acceptedF = ft;
        break;
      }
      if (gt >= 0) {
        accepted = zoom(step, ft, gt, previousStep, previousF, previousSlope);
        break;
      }
      previousStep = step;
      previousF = ft;
      previousSlope = gt;
      step *= 2;
    }
    if (!accepted) {
      stoppedBy = 'line-search';
      break;
    }

    // Curvature pair from the accepted point (trial holds it).
    const sNew = s.length === memory ? s.shift()! : new Float32Array(n);
    const yNew = y.length === memory ? y.shift()! : new Float32Array(n);
    if (rho.length === memory) rho.shift();
    let sy = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      const si = (sNew[i] = trial[i] - x[i]);
      const yi = (yNew[i] = trialGradient[i] - g[i]);
      sy += si * yi;
      yy += yi * yi;
    }
    x.set(trial);
    g.set(trialGradient);
    f = acceptedF;
    iterations++;
    if (sy > 1e-16 * yy) {
      s.push(sNew);
      y.push(yNew);
      rho.push(1 / sy);
      gammaNumerator = sy;
      gammaDenominator = yy;
    }
    if ((await options.onIteration?.(iterations, f)) === false) {
      stoppedBy = 'callback';
      break;
    }
    if (converged()) {
      stoppedBy = 'gradient';
      break;
    }
    if ((f0 - f) / Math.max(1, Math.abs(f0), Math.abs(f)) <= relativeDecrease) {
      stoppedBy = 'decrease';
      break;
    }
  }
  const gradientMax = maxAbs(g);
  return { x, value: f, iterations, evaluations, gradientMax, converged: stoppedBy === 'gradient' || stoppedBy === 'decrease', stoppedBy };
}
