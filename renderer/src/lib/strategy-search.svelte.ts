// The strategy search the Strategy step runs on request ("Find the best strategy for my data"): its progress and
// its evidence, kept for the project it was run on while the page lives (a run records its own search too).
import type { StrategySearchReport, TrainProgress, TrainSettings } from '../../../shared/domain.js';
import { api, errorText } from '../api/index.js';

export class StrategySearch {
  running = $state(false);
  progress = $state<TrainProgress | null>(null);
  report = $state<StrategySearchReport | null>(null);
  error = $state<string | null>(null);
  /** The project the report belongs to. */
  project = $state<string | null>(null);

  constructor() {
    api.on('strategies:progress', (p) => {
      if (this.running) this.progress = p;
    });
  }

  /** The report for this project, if one was made this session. */
  reportFor(path: string | undefined): StrategySearchReport | null {
    return path && this.project === path ? this.report : null;
  }

  async run(path: string, settings: Partial<TrainSettings>): Promise<void> {
    this.running = true;
    this.progress = null;
    this.error = null;
    try {
      this.report = await api.invoke('strategies:search', { settings });
      this.project = path;
    } catch (error) {
      const text = errorText(error);
      this.error = /cancel/i.test(text) ? null : text;
    } finally {
      this.running = false;
    }
  }

  async cancel(): Promise<void> {
    await api.invoke('analysis:cancel', undefined);
  }
}

export const strategySearch = new StrategySearch();
