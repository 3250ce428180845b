/**
 * Experiments: `/apis/{v2beta1,v2}/experiments` (or v1beta1 through the adapter of routes/experiments.ts,
 * which returns the same shapes). Experiments are unique per (namespace, display_name), so a create whose outcome is unknown
 * is reconciled by looking the name up, and `getOrCreate` survives a concurrent create (409).
 */
import type { CallOptions, Kfp } from "../client.js";
import { ConflictError, ValidationError } from "../core/errors.js";
import type { ExperimentFilterKeys, FilterBuilder, FilterObject } from "../core/filters.js";
import type { PagePromise } from "../core/pagination.js";
import type { Experiment } from "../types/runs.js";
import { adapterOf } from "./routes/adapter.js";
import type { ExperimentRoutes } from "./routes/experiments.js";
import {
  callOpts,
  checkNamespace,
  isMultiUser,
  type ListParams,
  lazyList,
  notFound,
  optionalString,
  reconcileByName,
  requireString,
  resolveNamespace,
} from "./shared.js";

const NAME_MAX = 128;

/** The body of `experiments.create()` (wire names). */
export interface ExperimentCreateParams {
  /** Unique per namespace; at most 128 characters. */
  display_name: string;
  description?: string;
  /** Required in multi-user mode; defaults to the client's namespace. Ignored by single-user servers. */
  namespace?: string;
}

export interface ExperimentListParams
  extends ListParams<FilterBuilder<ExperimentFilterKeys> | FilterObject<ExperimentFilterKeys>> {
  /** Required in multi-user mode; defaults to the client's namespace. */
  namespace?: string;
}

/** A per-call namespace for calls scoped by namespace. */
export interface NamespaceOption {
  /** Overrides the client's namespace for this call. */
  namespace?: string;
}

/** Experiments: `kfp.experiments`. Unique per (namespace, display_name); creates are reconciled by name when their answer is lost. */
export class Experiments {
  readonly #client: Kfp;
  constructor(client: Kfp) {
    this.#client = client;
  }

  /**
   * Create an experiment. 409 ConflictError when the name is taken in the namespace.
   * If the connection fails after the request was sent, the experiment is looked up by name before
   * anything is retried, so it is never created twice.
   */
  async create(params: ExperimentCreateParams, opts?: CallOptions): Promise<Experiment> {
    const name = requireString(params?.display_name, "display_name", "experiment display_name");
    if (name.length > NAME_MAX) {
      throw new ValidationError(`experiment display_name is longer than ${NAME_MAX} characters`, {
        field: "display_name",
      });
    }
    const description = optionalString(params.description, "description");
    const namespace = await this.#namespaceFor("create an experiment", params.namespace, opts);
    const reconcile = reconcileByName("experiment", name, () =>
      this.findByName(name, { ...callOpts(opts), namespace }),
    );
    const body = { display_name: name, description, namespace };
    return (await this.#routes(opts)).create(this.#client, body, callOpts(opts), reconcile);
  }

  /** Get an experiment by id. */
  async get(experimentId: string, opts?: CallOptions): Promise<Experiment> {
    requireString(experimentId, "experimentId", "experiment id");
    return (await this.#routes(opts)).get(this.#client, experimentId, callOpts(opts));
  }

  /** The experiment with this display name in the namespace, or undefined. */
  async findByName(name: string, opts?: CallOptions & NamespaceOption): Promise<Experiment | undefined> {
    requireString(name, "name", "experiment name");
    const namespace = await this.#namespaceFor("look up an experiment", opts?.namespace, opts);
    const key = (await this.#routes(opts)).nameKey;
    const page = await this.#listLazy(
      { namespace, page_size: 2, filter: { predicates: [{ key, operation: "EQUALS", string_value: name }] } },
      opts,
    );
    return page.items.find((e) => e.display_name === name) ?? page.items[0];
  }

  /** The experiment with this display name; NotFoundError when there is none. */
  async getByName(name: string, opts?: CallOptions & NamespaceOption): Promise<Experiment> {
    const found = await this.findByName(name, opts);
    if (!found) {
      const ns = resolveNamespace(this.#client, opts?.namespace);
      throw notFound(
        `Experiment named ${JSON.stringify(name)} not found${ns ? ` in namespace "${ns}"` : ""}`,
        "GET",
        "/experiments",
      );
    }
    return found;
  }

  /** Return the experiment with this name, creating it when missing (safe against concurrent creators). */
  async getOrCreate(params: ExperimentCreateParams, opts?: CallOptions): Promise<Experiment> {
    const lookup = { ...callOpts(opts), namespace: params?.namespace } as CallOptions & NamespaceOption;
    const existing = await this.findByName(requireString(params?.display_name, "display_name"), lookup);
    if (existing) return existing;
    try {
      return await this.create(params, opts);
    } catch (err) {
      if (err instanceof ConflictError) {
        const raced = await this.findByName(params.display_name, lookup);
        if (raced) return raced;
      }
      throw err;
    }
  }

  /** One page (await) or every experiment (`for await`). Lists include archived experiments unless filtered. */
  list(params?: ExperimentListParams, opts?: CallOptions): PagePromise<Experiment> {
    return this.#listLazy(params, opts);
  }

  /** Archive: also archives its runs and disables its recurring runs (server behaviour). */
  async archive(experimentId: string, opts?: CallOptions): Promise<void> {
    await this.#action(experimentId, "archive", opts);
  }

  /** Unarchive the experiment only (its runs stay archived). */
  async unarchive(experimentId: string, opts?: CallOptions): Promise<void> {
    await this.#action(experimentId, "unarchive", opts);
  }

  /** Delete: runs and recurring runs are not deleted. Deleting the default experiment → 409. */
  async delete(experimentId: string, opts?: CallOptions): Promise<void> {
    requireString(experimentId, "experimentId", "experiment id");
    await (await this.#routes(opts)).delete(this.#client, experimentId, callOpts(opts));
  }

  async #action(experimentId: string, verb: "archive" | "unarchive", opts?: CallOptions): Promise<void> {
    requireString(experimentId, "experimentId", "experiment id");
    await (await this.#routes(opts)).action(this.#client, experimentId, verb, callOpts(opts));
  }

  /** The routes of the client's API version (learned by the first call in auto mode). */
  async #routes(opts: CallOptions | undefined): Promise<ExperimentRoutes> {
    return (await adapterOf(this.#client, opts)).experiments;
  }

  /** Resolve and check the namespace for a call that the server scopes by namespace. */
  async #namespaceFor(
    action: string,
    given: string | undefined,
    opts?: CallOptions,
  ): Promise<string | undefined> {
    const ns = resolveNamespace(this.#client, given);
    checkNamespace(ns);
    if (ns === undefined && (await isMultiUser(this.#client, opts))) {
      throw new ValidationError(
        `The server runs in multi-user mode: to ${action} pass a namespace (the Kubeflow profile namespace, e.g. ` +
          `{ namespace: "kubeflow-user-example-com" }) or create the client with one (new Kfp({ namespace }) / kfp.withNamespace(ns)).`,
        { field: "namespace" },
      );
    }
    return ns;
  }

  #listLazy(params: ExperimentListParams | undefined, opts?: CallOptions): PagePromise<Experiment> {
    return lazyList<Experiment>(this.#client, opts, async () => {
      const namespace = await this.#namespaceFor("list experiments", params?.namespace, opts);
      return (await this.#routes(opts)).list(params, namespace);
    });
  }
}
