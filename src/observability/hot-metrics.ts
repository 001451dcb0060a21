
/**
 * Counters and histograms for the request path, registered in a prom-client Registry like any metric.
 *
 * prom-client's own `counter.labels(...).inc()` validates and hashes the label object on every call (its child
 * only binds the labels). Here a label combination is resolved once into a cell, a plain object the caller
 * keeps, and an increment is `cell.value++`: no allocation, no hashing. The registry reads the cells when it is
 * scraped (get()), in the same shape prom-client's metrics produce, so its text format and its cluster
 * aggregation (AggregatorRegistry.aggregate) treat them like its own.
 */

type Labels = Record<string, string>;

/** What prom-client's Registry reads from a metric at a scrape (the shape of its own metrics' get()). */
export interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>;
}

/** One label combination of a counter: increment `value`. */
export interface CounterCell {
  value: number;
}

/** The key of a label combination (label values never contain NUL in practice; a collision only merges two series). */
const keyOf = (values: readonly string[]): string => (values.length === 1 ? values[0]! : values.join('\u0000'));

/** Labels by name from positional values; an empty value leaves the label out (per-client labels, metrics.ts). */
function labelsOf(names: readonly string[], values: readonly string[]): Labels {
  const labels: Labels = {};
  names.forEach((name, i) => {
    const v = values[i];
    if (v !== undefined && v !== '') labels[name] = v;
  });
  return labels;
}

abstract class HotMetric<C> {
  readonly aggregator = 'sum' as const;
  protected readonly cells = new Map<string, { labels: Labels; cell: C }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  protected abstract create(): C;

  /** The cell of these label values (positional, in labelNames order), created on first use and kept. */
  child(...values: string[]): C {
    const key = keyOf(values);
    let entry = this.cells.get(key);
    if (entry === undefined) {
      if (values.length > this.labelNames.length) throw new RangeError(`${this.name} has ${this.labelNames.length} labels`);
      entry = { labels: labelsOf(this.labelNames, values), cell: this.create() };
      this.cells.set(key, entry);
    }
    return entry.cell;
  }

  reset(): void {
    this.cells.clear();
  }
}

export class HotCounter extends HotMetric<CounterCell> {
  readonly type = 'counter';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    /** Reads values kept elsewhere (a process-wide gate's totals) into the cells just before a scrape. */
    private readonly sample?: (counter: HotCounter) => void,
  ) {
    super(name, help, labelNames);
  }

  protected create(): CounterCell {
    return { value: 0 };
  }

  /** For rarer events with dynamic labels (error codes, providers): one map look-up. */
  inc(...values: string[]): void {
    this.child(...values).value++;
  }

  get(): MetricSnapshot {
    this.sample?.(this);
    const values: MetricSnapshot['values'] = [];
    for (const { labels, cell } of this.cells.values()) values.push({ labels, value: cell.value });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** One label combination of a histogram: counts per bucket (not cumulative), their sum and count. */
export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
}

export class HotHistogram extends HotMetric<HistogramCell> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly bounds: readonly number[],
  ) {
    super(name, help, labelNames);
  }

  protected create(): HistogramCell {
    return new HistogramCell(this.bounds);
  }

  get(): MetricSnapshot {
    const values: MetricSnapshot['values'] = [];
    for (const { labels, cell } of this.cells.values()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += cell.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: acc });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cell.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: cell.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
