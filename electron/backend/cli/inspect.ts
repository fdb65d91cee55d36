// `finetune inspect`: the imbalance review of a project, as text or JSON.
import { Command } from 'commander';
import { formatReviewText } from '../../../shared/imbalance.js';
import { DEFAULT_TEST_FRACTION } from '../review.js';
import { parseFraction, projectOption, withProject } from './common.js';

export function inspectCommand(): Command {
  return new Command('inspect')
    .description('print the imbalance review: classes, shares, imbalance ratio, the recommended strategy and warnings')
    .addOption(projectOption())
    .option('--json', 'print the review as JSON, for scripts')
    .option('--test-fraction <f>', 'share of labeled documents held out for testing', String(DEFAULT_TEST_FRACTION))
    .action(async (opts: { project: string; json?: boolean; testFraction: string }) => {
      const testFraction = parseFraction(opts.testFraction, '--test-fraction');
      const review = await withProject(opts.project, (store) => store.review(testFraction), { reading: true });
      process.stdout.write(opts.json ? `${JSON.stringify(review, null, 2)}\n` : formatReviewText(review));
    });
}
