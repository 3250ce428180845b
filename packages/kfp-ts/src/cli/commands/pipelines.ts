/** `kfp-ts pipelines` (alias `pipeline`): upload, publish, list, get, update, delete, download. */
import { writeFileSync } from "node:fs";
import { Command } from "@commander-js/extra-typings";
import type { PublishOptions, UploadPipelineOptions, UploadVersionOptions } from "../../index.js";
import { type AnyCommand, type App, example, leafOptions } from "../app.js";
import type { CliContext } from "../context.js";
import { usageError } from "../exit-codes.js";
import { parsePairs, readPackage } from "../inputs.js";
import { api, collect, listQuery, pagingOptions } from "../lists.js";
import { KINDS, printList, printOne, printValue, yamlText } from "../output.js";

const collectPairs = (v: string, prev: string[] = []) => [...prev, v];

function tagsOf(pairs: string[] | undefined): Record<string, string> | undefined {
  return pairs?.length ? parsePairs(pairs, "--tag") : undefined;
}

/** The spec of a version as the YAML a compiler writes (two documents when there is a platform spec). */
export function specYaml(spec: unknown): string {
  const s = spec as Record<string, unknown> | undefined;
  if (!s || typeof s !== "object") throw usageError("this version has no pipeline spec to download");
  if (s.pipeline_spec && typeof s.pipeline_spec === "object") {
    const docs = [yamlText(s.pipeline_spec)];
    if (s.platform_spec) docs.push(yamlText(s.platform_spec));
    return docs.join("---\n");
  }
  return yamlText(s);
}

async function newestVersion(ctx: CliContext, pipelineId: string) {
  const kfp = await ctx.client();
  const page = await api.versions(kfp, pipelineId, { page_size: 1, sort_by: "created_at desc" });
  const v = page.items[0];
  if (!v) throw usageError(`pipeline ${pipelineId} has no versions`);
  return v;
}

export function pipelinesCommand(app: App): AnyCommand {
  const group = new Command("pipelines")
    .alias("pipeline")
    .description("pipelines and their versions: upload, publish (idempotent, for CI), list, get, download");
  example(group, "kfp-ts pipelines publish my-pipeline pipeline.yaml", "kfp-ts pipeline list -o wide");

  const create = leafOptions(
    group
      .command("create")
      .alias("upload")
      .description("upload a pipeline package as a new pipeline (FILE or - for stdin)")
      .argument("<file>", "pipeline package: YAML, JSON, zip or tar.gz; - reads stdin")
      .option("-p, --pipeline-name <name>", "pipeline name (default: the file name)")
      .option("--display-name <name>", "display name")
      .option("-d, --description <text>", "description")
      .option("--tag <key=value>", "a tag (repeatable)", collectPairs)
      .option("--namespace <ns>", "namespace of the pipeline (default: shared, or the context's)"),
  );
  example(
    create,
    "kfp-ts pipelines create -p my-pipeline pipeline.yaml",
    "cat pipeline.yaml | kfp-ts pipeline create -p my-pipeline -",
  );
  create.action(
    app.action(async (ctx, [file], o) => {
      const pkg = await readPackage(ctx, file);
      const kfp = await ctx.client();
      const opts: UploadPipelineOptions = { filename: pkg.filename };
      if (o.pipelineName) opts.name = o.pipelineName;
      if (o.displayName) opts.display_name = o.displayName;
      if (o.description) opts.description = o.description;
      const tags = tagsOf(o.tag);
      if (tags) opts.tags = tags;
      if (o.namespace !== undefined) opts.namespace = o.namespace;
      const p = await kfp.pipelines.upload(pkg.source as Buffer, opts);
      ctx.note(`pipeline ${p.name} created: ${p.pipeline_id}`);
      printOne(ctx, KINDS.pipeline, p);
    }),
  );

  const createVersion = leafOptions(
    group
      .command("create-version")
      .alias("upload-version")
      .description("upload a pipeline package as a new version of a pipeline")
      .argument("<file>", "pipeline package; - reads stdin")
      .option("-v, --pipeline-version <name>", "version name (default: the file name)")
      .option("-p, --pipeline-id <id>", "the pipeline's id")
      .option("-n, --pipeline-name <name>", "or the pipeline's name")
      .option("--display-name <name>", "display name")
      .option("-d, --description <text>", "description")
      .option("--tag <key=value>", "a tag of the version (repeatable)", collectPairs),
  );
  example(createVersion, "kfp-ts pipelines create-version -p 1f3c... -v v2 pipeline.yaml");
  createVersion.action(
    app.action(async (ctx, [file], o) => {
      if (!o.pipelineId === !o.pipelineName)
        throw usageError("give exactly one of -p/--pipeline-id and -n/--pipeline-name");
      const pkg = await readPackage(ctx, file);
      const kfp = await ctx.client();
      const opts: UploadVersionOptions = { filename: pkg.filename };
      if (o.pipelineId) opts.pipeline_id = o.pipelineId;
      if (o.pipelineName) opts.pipeline_name = o.pipelineName;
      if (o.pipelineVersion) opts.name = o.pipelineVersion;
      if (o.displayName) opts.display_name = o.displayName;
      if (o.description) opts.description = o.description;
      const tags = tagsOf(o.tag);
      if (tags) opts.tags = tags;
      const v = await kfp.pipelines.uploadVersion(pkg.source as Buffer, opts);
      ctx.note(`version ${v.name} created: ${v.pipeline_version_id}`);
      printOne(ctx, KINDS.version, v);
    }),
  );

  const publish = leafOptions(
    group
      .command("publish")
      .description(
        "idempotent publish for CI: create the pipeline if missing, add a version unless the newest has the same spec",
      )
      .argument("<name>", "pipeline name")
      .argument("<file>", "pipeline package; - reads stdin")
      .option("--version-name <name>", "version name (default: <name>-<12 hex of the spec's hash>)")
      .option("--display-name <name>", "display name of the pipeline when it is created")
      .option("-d, --description <text>", "description of the pipeline (when created) and the new version")
      .option("--tag <key=value>", "a tag of the pipeline when it is created (repeatable)", collectPairs)
      .option("--version-tag <key=value>", "a tag of a new version (repeatable)", collectPairs)
      .option("--code-source-url <url>", "code source URL of a new version")
      .option("--namespace <ns>", "namespace of the pipeline"),
  );
  example(
    publish,
    "kfp-ts pipelines publish my-pipeline pipeline.yaml",
    "kfp-ts -o json pipelines publish my-pipeline pipeline.yaml | jq -r .version.pipeline_version_id",
  );
  publish.action(
    app.action(async (ctx, [name, file], o) => {
      const pkg = await readPackage(ctx, file);
      const kfp = await ctx.client();
      const opts: PublishOptions = { filename: pkg.filename };
      if (o.versionName) opts.version_name = o.versionName;
      if (o.displayName) opts.display_name = o.displayName;
      if (o.description) opts.description = o.description;
      const tags = tagsOf(o.tag);
      if (tags) opts.tags = tags;
      const vtags = o.versionTag?.length ? parsePairs(o.versionTag, "--version-tag") : undefined;
      if (vtags) opts.version_tags = vtags;
      if (o.codeSourceUrl) opts.code_source_url = o.codeSourceUrl;
      if (o.namespace !== undefined) opts.namespace = o.namespace;
      const r = await kfp.pipelines.publish(name, pkg.bytes ?? (pkg.source as Buffer), opts);
      ctx.note(
        r.created
          ? `published ${r.pipeline.name}: new version ${r.version.name}${r.pipelineCreated ? " (pipeline created)" : ""}`
          : `${r.pipeline.name} unchanged: version ${r.version.name} already has this spec, nothing uploaded`,
      );
      const wire = {
        pipeline: r.pipeline,
        version: r.version,
        created: r.created,
        pipeline_created: r.pipelineCreated,
      };
      if (ctx.output === "name") ctx.io.stdout.write(`${r.version.pipeline_version_id}\n`);
      else printValue(ctx, wire, () => "");
      if (ctx.output === "table" || ctx.output === "wide") printList(ctx, KINDS.version, [r.version]);
    }),
  );

  const list = leafOptions(
    pagingOptions(group.command("list").description("list pipelines"), "created_at desc").option(
      "--namespace <ns>",
      "namespace (default: the context's)",
    ),
  );
  example(
    list,
    "kfp-ts pipelines list",
    "kfp-ts pipelines list -o name --all | xargs -n1 kfp-ts pipelines get",
  );
  list.action(
    app.action(async (ctx, _a, o) => {
      const q = listQuery(o);
      if (o.namespace !== undefined) q.namespace = o.namespace;
      const kfp = await ctx.client();
      printList(ctx, KINDS.pipeline, await collect(ctx, api.pipelines(kfp, q), o.all));
    }),
  );

  const listVersions = leafOptions(
    pagingOptions(
      group.command("list-versions").description("list the versions of a pipeline").argument("<pipeline-id>"),
      "created_at desc",
    ),
  );
  example(listVersions, "kfp-ts pipelines list-versions 1f3c... --sort-by 'created_at desc'");
  listVersions.action(
    app.action(async (ctx, [id], o) => {
      const kfp = await ctx.client();
      printList(ctx, KINDS.version, await collect(ctx, api.versions(kfp, id, listQuery(o)), o.all));
    }),
  );

  const get = leafOptions(group.command("get").description("show a pipeline").argument("<pipeline-id>"));
  example(get, "kfp-ts pipelines get 1f3c... -o yaml");
  get.action(
    app.action(async (ctx, [id]) => {
      const kfp = await ctx.client();
      printOne(ctx, KINDS.pipeline, await kfp.pipelines.get(id));
    }),
  );

  const getVersion = leafOptions(
    group
      .command("get-version")
      .description("show a pipeline version (with -o json/yaml, its spec too)")
      .argument("<pipeline-id>")
      .argument("<version-id>"),
  );
  example(getVersion, "kfp-ts pipelines get-version 1f3c... 9a2b... -o json");
  getVersion.action(
    app.action(async (ctx, [id, vid]) => {
      const kfp = await ctx.client();
      printOne(ctx, KINDS.version, await kfp.pipelines.versions.get(id, vid));
    }),
  );

  const update = leafOptions(
    group
      .command("update")
      .description("change a pipeline's display name or tags (server 2.17+)")
      .argument("<pipeline-id>")
      .option("--display-name <name>", "new display name")
      .option("--tag <key=value>", "a tag (repeatable); the tags given replace all tags", collectPairs)
      .option("--clear-tags", "remove every tag"),
  );
  example(update, "kfp-ts pipelines update 1f3c... --display-name 'Word count' --tag team=ml");
  update.action(
    app.action(async (ctx, [id], o) => {
      const body: { display_name?: string; tags?: Record<string, string> } = {};
      if (o.displayName !== undefined) body.display_name = o.displayName;
      const tags = tagsOf(o.tag);
      if (tags && o.clearTags) throw usageError("give --tag or --clear-tags, not both");
      if (tags) body.tags = tags;
      if (o.clearTags) body.tags = {};
      if (Object.keys(body).length === 0)
        throw usageError("nothing to update: give --display-name, --tag or --clear-tags");
      const kfp = await ctx.client();
      printOne(ctx, KINDS.pipeline, await kfp.pipelines.update(id, body));
    }),
  );

  const del = leafOptions(
    group
      .command("delete")
      .description("delete a pipeline (refused while it has versions, unless --cascade)")
      .argument("<pipeline-id>")
      .option("--cascade", "delete its versions too"),
  );
  example(del, "kfp-ts pipelines delete 1f3c... --cascade");
  del.action(
    app.action(async (ctx, [id], o) => {
      const kfp = await ctx.client();
      await kfp.pipelines.delete(id, o.cascade ? { cascade: true } : {});
      ctx.note(`pipeline ${id} deleted`);
      if (ctx.output === "name") ctx.io.stdout.write(`${id}\n`);
    }),
  );

  const delVersion = leafOptions(
    group
      .command("delete-version")
      .description("delete a pipeline version")
      .argument("<pipeline-id>")
      .argument("<version-id>"),
  );
  example(delVersion, "kfp-ts pipelines delete-version 1f3c... 9a2b...");
  delVersion.action(
    app.action(async (ctx, [id, vid]) => {
      const kfp = await ctx.client();
      await kfp.pipelines.versions.delete(id, vid);
      ctx.note(`pipeline version ${vid} deleted`);
      if (ctx.output === "name") ctx.io.stdout.write(`${vid}\n`);
    }),
  );

  const download = group
    .command("download")
    .description("write a version's pipeline spec as YAML (default: the newest version) to stdout or a file")
    .argument("<pipeline-id>")
    .argument("[version-id]")
    .option("-f, --file <path>", "write here instead of stdout");
  example(
    download,
    "kfp-ts pipelines download 1f3c... > pipeline.yaml",
    "kfp-ts pipelines download 1f3c... 9a2b... -f v1.yaml",
  );
  download.action(
    app.action(async (ctx, [id, vid], o) => {
      const kfp = await ctx.client();
      const v = vid ? await kfp.pipelines.versions.get(id, vid) : await newestVersion(ctx, id);
      const text = specYaml(v.pipeline_spec);
      if (o.file) {
        writeFileSync(o.file, text);
        ctx.note(`version ${v.name} written to ${o.file}`);
      } else ctx.io.stdout.write(text);
    }),
  );
  return group;
}
