// Declarations of the cohortlens client (www/cohortlens/index.js). The JSON shapes are generated
// from the engine's Rust types into pkg/cohortlens.d.ts by the wasm build.
import type {
  CohortDefinition, StatRequest, ChartSpec, ChartSummary, Disclosed, DisclosedTable, ConceptHit,
  Preview, TableSummary, OpenOptions as EngineOpenOptions, LoadProgress,
} from '../../pkg/cohortlens';

export type {
  CohortDefinition, StatRequest, ChartSpec, ChartSummary, Disclosed, DisclosedTable, ConceptHit,
  Preview, TableSummary, LoadProgress,
};

/** How every count of a lens is disclosed. */
export type PolicyName = 'aou' | 'suppress' | 'perturbed';

/** Export formats of a statistics table. */
export type ExportFormat = 'csv' | 'json';

/** Options of {@link open}. */
export interface OpenOptions {
  /** The tables to load (default: every table of the catalog). */
  tables?: string[];
  /** `'used'` (the columns cohorts read, the default) or `'all'`. */
  columns?: EngineOpenOptions['columns'];
  /** The disclosure policy (default `'aou'`). */
  policy?: PolicyName;
  /** A bearer token sent as `Authorization: Bearer` with every request to the server. */
  token?: string;
  /**
   * Where cohorts are computed: `'auto'` (the default: server mode only when the dataset would
   * not fit in the browser's memory and the server offers it), `'full'` (every table loaded,
   * everything in the browser) or `'server'` (the server computes each cohort's persons; the
   * browser loads the person and vocabulary tables and computes statistics of persons).
   */
  mode?: 'auto' | 'full' | 'server';
  /** Called as each table streams in: `{table, bytes, rows, done}`. */
  onProgress?: (progress: LoadProgress) => void;
  /** Aborting it cancels the load: `open` rejects with code `cancelled`. */
  signal?: AbortSignal;
}

/** `GET /api/v1/catalog`: the dataset and its tables. */
export interface Catalog {
  dataset: { name: string; source: string; cdmVersion: string; referenceDate: string; [key: string]: unknown };
  tables: Array<{ name: string; rows: number; columns?: Array<{ name: string; type?: string }>; [key: string]: unknown }>;
}

/** An engine error: `code` is stable (`invalid_definition`, `unknown_concept`, `cancelled`, …). */
export interface CohortlensError extends Error {
  code: string;
  /** Every problem of an invalid definition. */
  errors?: Array<{ path: string; message: string }>;
}

/** A loaded dataset whose engine runs in a Web Worker; every method returns a promise. */
export interface Lens {
  /** The policy every count of this lens is disclosed under. */
  readonly policy: PolicyName;
  /**
   * Where cohorts are computed: `'full'` or `'server'`. In server mode `preview`,
   * `searchConcepts`, `conceptStatistics` and statistics that read events reject with code
   * `server_mode`.
   */
  readonly mode: 'full' | 'server';
  /** The dataset's catalog. */
  catalog(): Promise<Catalog>;
  /** What was loaded of each table. */
  tables(): Promise<TableSummary[]>;
  /** The number of persons of a cohort, disclosed. */
  count(definition: CohortDefinition): Promise<Disclosed>;
  /** The Cohort Builder's preview: the total and each group and item, disclosed. */
  preview(definition: CohortDefinition): Promise<Preview>;
  /** A statistics table of a cohort, or its export text. */
  statistics(definition: CohortDefinition, request: StatRequest): Promise<DisclosedTable>;
  statistics(definition: CohortDefinition, request: StatRequest, format: ExportFormat): Promise<string>;
  /** A statistics table of the persons with a concept (or a descendant), or its export text. */
  conceptStatistics(conceptId: number, request: StatRequest): Promise<DisclosedTable>;
  conceptStatistics(conceptId: number, request: StatRequest, format: ExportFormat): Promise<string>;
  /** Concepts by name words, code or id, with their hierarchy and disclosed counts. */
  searchConcepts(query: string, options?: { domain?: string; limit?: number }): Promise<ConceptHit[]>;
  /** The chart as an SVG document. */
  chartSvg(spec: ChartSpec): Promise<string>;
  /**
   * Draws the chart on `canvas` in the worker (the canvas's control moves to an OffscreenCanvas
   * the first time; draw on it only through this lens afterwards). Resolves to its summary.
   */
  chart(canvas: HTMLCanvasElement, spec: ChartSpec): Promise<ChartSummary>;
  /** The picture `chart` last drew on `canvas`, encoded in the worker (PNG unless `type` says otherwise). */
  chartImage(canvas: HTMLCanvasElement, type?: string): Promise<Blob>;
  /** Stops the worker; calls still pending and later calls reject with code `closed`. */
  close(): void;
}

/** Opens the dataset served at `baseUrl`; resolves once every table has loaded. */
export function open(baseUrl: string | URL, options?: OpenOptions): Promise<Lens>;

/** Reads the catalog of the dataset at `baseUrl` without loading it. */
export function fetchCatalog(baseUrl: string | URL, options?: { token?: string; signal?: AbortSignal }): Promise<Catalog>;
