// Which given labels look wrong: confident learning (Northcutt, Jiang & Chuang, "Confident Learning: Estimating
// Uncertainty in Dataset Labels", JAIR 2021) on out-of-fold probabilities. Each class j gets a threshold t_j, the
// mean probability of j over the documents labeled j; a document counts towards the confident joint at (given i,
// suggested j) for the j of highest probability among the classes whose probability reaches their threshold. The
// off-diagonal of that joint is the list, ranked by how much more the suggested class is believed than the given one.

export interface LabelIssue {
  /** Position of the document in the input. */
  index: number;
  given: number;
  suggested: number;
  /** p(suggested) − p(given), in (0, 1]: how much more the model believes the other class. */
  score: number;
}

export interface ConfidentLearning {
  thresholds: number[];
  /** Rows: given class; columns: the confidently suggested class. */
  confidentJoint: number[][];
  issues: LabelIssue[];
}

export function confidentLearning(probabilities: number[][], given: number[], classes: number): ConfidentLearning {
  const sums = new Array<number>(classes).fill(0);
  const counts = new Array<number>(classes).fill(0);
  given.forEach((label, i) => {
    sums[label] += probabilities[i][label];
    counts[label]++;
  });
  const thresholds = sums.map((s, j) => (counts[j] ? s / counts[j] : 1));
  const joint = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const issues: LabelIssue[] = [];
  probabilities.forEach((p, index) => {
    let suggested = -1;
    for (let j = 0; j < classes; j++) if (p[j] >= thresholds[j] && (suggested < 0 || p[j] > p[suggested])) suggested = j;
    if (suggested < 0) return;
    const label = given[index];
    joint[label][suggested]++;
    if (suggested !== label) issues.push({ index, given: label, suggested, score: p[suggested] - p[label] });
  });
  issues.sort((a, b) => b.score - a.score || a.index - b.index);
  return { thresholds, confidentJoint: joint, issues: issues.filter((issue) => issue.score > 0) };
}
