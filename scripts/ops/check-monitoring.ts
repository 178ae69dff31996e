// The live half of scripts/ops/check.sh: a real Prometheus (Debian's 2.42) scraping two app
// instances under a short load; every dashboard and rule expression must return data.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { waitUntilAnswers } from '../../support/app-process';
import { AppUnderTest } from '../../support/app-under-test';
import { httpDropClient, issueAll, tallyDrop } from '../../support/coupon-drop';
import { freePort } from '../../support/free-port';
import { RunEnvironment } from '../../support/run-environment';

const ROOT = join(__dirname, '..', '..');
const OPS = join(ROOT, 'ops');
/** The app instances' logs (`app-ops-<strategy>.log`). */
const APP_LOG_DIR = join(ROOT, 'bench', 'results', 'ops');
const DASHBOARD_FILE = join(OPS, 'grafana', 'dashboards', 'commerce.json');
const DASHBOARD_TITLE = 'Commerce: coupon drops and events';
/** Grafana's $__rate_interval in the check: wide enough to hold the whole short load. */
const RATE_INTERVAL = '1m';
const GRAFANA_GLOBALS = new Map([
  ['$__rate_interval', RATE_INTERVAL],
  ['$__interval', '15s'],
  ['$__range', '5m'],
]);
/** What every dashboard target must select on: the dashboard's variables. */
const FILTERS = ['role=~"$role"', 'instance=~"$instance"'];
/** The local instances' role (APP_ROLE's default): their targets' role label in the check. */
const LOCAL_ROLE = 'all';
const PANEL_TYPES = new Set(['timeseries', 'stat', 'gauge', 'bargauge', 'table']);
const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

interface Expression {
  source: string;
  expr: string;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'load-seconds': { type: 'string', default: '20' } } });
  const loadSeconds = Number(values['load-seconds']);
  const problems: string[] = [];
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'));
  problems.push(...checkProvisioning(dashboard), ...checkRunbooks());
  const expressions = [...dashboardExpressions(dashboard), ...ruleExpressions()];
  const variableQueries = dashboardVariableQueries(dashboard);
  console.log(
    `dashboard "${dashboard.title}": ${dashboard.panels.filter((p: any) => p.type !== 'row').length} panels; ${expressions.length} expressions to run (dashboard + rules)`,
  );

  const env = new RunEnvironment();
  const work = mkdtempSync(join(tmpdir(), 'commerce-prometheus-'));
  let prometheus: ChildProcess | undefined;
  const apps: AppUnderTest[] = [];
  try {
    await env.create();
    const started = await Promise.allSettled(
      (['lock', 'queue'] as const).map((strategy) =>
        AppUnderTest.start(`ops-${strategy}`, env.appEnv({ COUPON_ISSUE_STRATEGY: strategy }), { logDir: APP_LOG_DIR }),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') apps.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const [lockApp, queueApp] = apps;

    const port = await freePort();
    const promUrl = `http://127.0.0.1:${port}`;
    const config = join(work, 'prometheus.yml');
    writeFileSync(config, JSON.stringify(generatedConfig(apps.map((a) => new URL(a.url).host))));
    execFileSync('promtool', ['check', 'config', config], { stdio: 'inherit' });
    const log = openSync(join(work, 'prometheus.log'), 'w');
    prometheus = spawn(
      'prometheus',
      [`--config.file=${config}`, `--storage.tsdb.path=${join(work, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', log, log] },
    );
    await waitUntilAnswers(
      `${promUrl}/-/ready`,
      30_000,
      () => `prometheus:\n${readFileSync(join(work, 'prometheus.log'), 'utf8').slice(-2000)}`,
    );
    console.log(`prometheus on ${promUrl} scraping ${apps.map((a) => a.url).join(', ')}`);

    // The load: a drop per strategy, checkouts (outbox → Kafka → consumers) and catalogue reads, repeated.
    const shopper = await prepareCheckout(lockApp, env);
    const loadUntil = Date.now() + loadSeconds * 1000;
    let rounds = 0;
    while (Date.now() < loadUntil) {
      rounds++;
      await Promise.all([
        ...[lockApp, queueApp].map(async (app) => {
          const couponId = (await app.expect(201, 'POST', '/admin/coupons', dropCoupon(30))).id;
          // 90 users, 9 of them pressing twice.
          const users = env.users(90);
          const client = httpDropClient(app.url);
          const answers = await issueAll(
            couponId,
            [...users, ...users.slice(0, 9)].map((caller) => ({ caller, client })),
            { concurrency: 30, settleTimeoutMs: 20_000 },
          );
          const drop = tallyDrop(answers);
          const counter = (await app.expect(200, 'GET', `/coupons/${couponId}`)).issuedQuantity;
          if (drop.duplicates > 0 || drop.pending > 0 || counter !== drop.issued || drop.issued > 30)
            problems.push(
              `load: drop on ${app.url} issued ${drop.issued} of 30, counter ${counter}, duplicates ${drop.duplicates}, undecided ${drop.pending}`,
            );
        }),
        shopper.checkout(10),
        lockApp.expect(200, 'GET', '/products?limit=20'),
      ]);
    }
    console.log(`load: ${rounds} rounds in ${loadSeconds} s (each: two drops of 30 copies to 90 users, 10 checkouts)`);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // the last scrapes and rule evaluations

    problems.push(...(await checkTargetsAndRules(promUrl, apps.length)));
    problems.push(...(await checkVariables(promUrl, variableQueries)));
    problems.push(...(await checkMetricNames(promUrl, expressions)));
    for (const e of expressions) {
      const result = await query(promUrl, e.expr);
      const withValue = result.filter((r) => !Number.isNaN(Number(r.value[1])));
      const ok = withValue.length > 0;
      console.log(`  ${ok ? '✓' : '✗'} ${String(result.length).padStart(3)} series  ${e.source}: ${e.expr}`);
      if (!ok) problems.push(`no data: ${e.source}: ${e.expr}${result.length ? ' (only NaN)' : ''}`);
    }
  } finally {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    for (const app of apps) await app.stop();
    await env.cleanup().catch((error: Error) => console.error(`cleanup: ${error.message}`));
    rmSync(work, { recursive: true, force: true });
  }
  for (const problem of problems) console.error(`✗ ${problem}`);
  console.log(
    problems.length
      ? `\nmonitoring check FAILED (${problems.length})`
      : `\nmonitoring check passed: ${expressions.length} expressions returned data`,
  );
  return problems.length ? 1 : 0;
}

/**
 * The Prometheus config the check runs: the committed `commerce` job's relabelling over static
 * targets that carry the label DNS discovery gives a target in compose (`__meta_dns_name`, the
 * service name). The local instances run APP_ROLE=all, so they are found "under" the name `all`
 * and the committed relabelling must turn that into role="all" as it turns `api` into role="api".
 */
export function generatedConfig(targets: string[]): object {
  const committed = parseYaml(readFileSync(join(OPS, 'prometheus', 'prometheus.yml'), 'utf8'));
  const job = committed.scrape_configs.find((s: any) => s.job_name === 'commerce');
  return {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [join(OPS, 'prometheus', 'rules.yml')],
    scrape_configs: [
      {
        job_name: 'commerce',
        metrics_path: job.metrics_path,
        static_configs: [{ targets, labels: { __meta_dns_name: LOCAL_ROLE } }],
        relabel_configs: job.relabel_configs,
      },
    ],
  };
}

/** Every panel target, with Grafana's own variables and the dashboard's replaced as Grafana would. */
function dashboardExpressions(dashboard: any): Expression[] {
  const variables = allValues(dashboard);
  return dashboard.panels
    .filter((p: any) => p.type !== 'row')
    .flatMap((p: any) => p.targets.map((t: any) => ({ source: `panel "${p.title}" ${t.refId}`, expr: substitute(t.expr, variables) })));
}

/** `$name` → what Grafana sends when the variable is at "All" (its allValue; `.*` by default). */
function allValues(dashboard: any): Map<string, string> {
  return new Map((dashboard.templating?.list ?? []).map((v: any) => [`$${v.name}`, v.allValue ?? '.*']));
}

function substitute(expr: string, variables: Map<string, string>): string {
  let out = expr;
  // Longest names first, so `$instance` is not cut by a shorter `$in…`.
  const all = [...GRAFANA_GLOBALS, ...variables].sort(([a], [b]) => b.length - a.length);
  for (const [name, value] of all) out = out.split(name).join(value);
  return out;
}

interface VariableQuery {
  source: string;
  label: string;
  match?: string;
}

/** The dashboard's `label_values(selector, label)` variables, their own references at "All". */
export function dashboardVariableQueries(dashboard: any): VariableQuery[] {
  const variables = allValues(dashboard);
  return (dashboard.templating?.list ?? [])
    .filter((v: any) => v.type === 'query')
    .map((v: any) => {
      const query = substitute(String(typeof v.query === 'string' ? v.query : v.query?.query), variables);
      const parsed = /^label_values\(\s*(?:(.+?)\s*,\s*)?(\w+)\s*\)$/.exec(query.trim());
      if (!parsed) throw new Error(`dashboard variable ${v.name}: only label_values(...) queries are checked, not ${query}`);
      return { source: `variable $${v.name}: ${query}`, label: parsed[2], match: parsed[1] };
    });
}

/** Each rule's expression without its threshold: the quantity it watches must exist, alert or not. */
function ruleExpressions(): Expression[] {
  const rules = parseYaml(readFileSync(join(OPS, 'prometheus', 'rules.yml'), 'utf8'));
  return rules.groups.flatMap((g: any) =>
    g.rules.map((r: any) => ({
      source: `rule ${r.alert}`,
      expr: String(r.expr).replace(/\s*(==|!=|>=|<=|>|<)\s*(bool\s+)?-?[\d.]+(e[+-]?\d+)?\s*$/i, ''),
    })),
  );
}

/** The dashboard JSON's structure and every reference between it, the provisioning files and compose. */
export function checkProvisioning(dashboard: any): string[] {
  const problems: string[] = [];
  const fail = (message: string) => problems.push(`dashboard: ${message}`);
  const datasources = parseYaml(readFileSync(join(OPS, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')).datasources;
  const providers = parseYaml(readFileSync(join(OPS, 'grafana', 'provisioning', 'dashboards', 'commerce.yml'), 'utf8')).providers;
  // `<<: *app`: the api and worker services share one extension field (x-app).
  const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
  const promConfig = parseYaml(readFileSync(join(OPS, 'prometheus', 'prometheus.yml'), 'utf8'));
  const source = datasources.find((d: any) => d.type === 'prometheus');
  if (!source?.uid) return [`provisioning: no prometheus data source with a uid`];

  if (dashboard.title !== DASHBOARD_TITLE) fail(`title is "${dashboard.title}", expected "${DASHBOARD_TITLE}"`);
  if (typeof dashboard.uid !== 'string' || !dashboard.uid) fail('no uid');
  if (typeof dashboard.schemaVersion !== 'number') fail('no schemaVersion');
  if (!Array.isArray(dashboard.panels) || dashboard.panels.length === 0) return [...problems, 'dashboard: no panels'];
  const ids = new Set<number>();
  const variables = new Set((dashboard.templating?.list ?? []).map((v: any) => `$${v.name}`));
  for (const name of ['role', 'instance']) {
    const v = (dashboard.templating?.list ?? []).find((x: any) => x.name === name);
    if (!v) fail(`no variable ${name}`);
    else if (v.type !== 'query' || !v.multi || !v.includeAll || v.datasource?.uid !== source.uid)
      fail(`variable ${name}: must be a multi-value query of the provisioned data source with "All"`);
  }
  const boxes: Array<{ title: string; x: number; y: number; w: number; h: number }> = [];
  for (const panel of dashboard.panels) {
    const name = `panel "${panel.title}"`;
    if (typeof panel.id !== 'number' || ids.has(panel.id)) fail(`${name}: missing or repeated id ${panel.id}`);
    ids.add(panel.id);
    const g = panel.gridPos ?? {};
    if (![g.x, g.y, g.w, g.h].every(Number.isInteger) || g.x < 0 || g.w <= 0 || g.h <= 0 || g.x + g.w > 24)
      fail(`${name}: gridPos ${JSON.stringify(g)} outside the 24 columns`);
    for (const b of boxes)
      if (g.x < b.x + b.w && b.x < g.x + g.w && g.y < b.y + b.h && b.y < g.y + g.h) fail(`${name} overlaps "${b.title}"`);
    boxes.push({ title: panel.title, ...g });
    if (panel.type === 'row') continue;
    if (!PANEL_TYPES.has(panel.type)) fail(`${name}: unknown type ${panel.type}`);
    if (!panel.title || !panel.description) fail(`${name}: needs a title and a description`);
    const refs = [panel.datasource, ...(panel.targets ?? []).map((t: any) => t.datasource)].filter(Boolean);
    for (const ref of refs)
      if (ref.uid !== source.uid || ref.type !== 'prometheus')
        fail(`${name}: data source ${JSON.stringify(ref)} is not the provisioned ${source.uid}`);
    if (!panel.datasource) fail(`${name}: no data source`);
    if (!Array.isArray(panel.targets) || panel.targets.length === 0) fail(`${name}: no targets`);
    const refIds = new Set<string>();
    for (const t of panel.targets ?? []) {
      if (!t.refId || refIds.has(t.refId)) fail(`${name}: missing or repeated refId`);
      refIds.add(t.refId);
      if (typeof t.expr !== 'string' || !t.expr.trim()) fail(`${name}: empty expr`);
      for (const v of String(t.expr).match(/\$\w+/g) ?? [])
        if (!GRAFANA_GLOBALS.has(v) && !variables.has(v)) fail(`${name}: undefined variable ${v}`);
      for (const filter of FILTERS) if (!String(t.expr).includes(filter)) fail(`${name} ${t.refId}: does not filter by ${filter}`);
    }
  }

  // What compose mounts must be where the provisioning files and the config point.
  const volumes = (service: string): Map<string, string> =>
    new Map((compose.services?.[service]?.volumes ?? []).map((v: string) => v.split(':')).map(([from, to]: string[]) => [from, to]));
  const grafana = volumes('grafana');
  if (grafana.get('./ops/grafana/provisioning') !== '/etc/grafana/provisioning')
    problems.push('compose: grafana does not mount ops/grafana/provisioning at /etc/grafana/provisioning');
  if (!providers.some((p: any) => p.options?.path === grafana.get('./ops/grafana/dashboards')))
    problems.push('compose: the dashboard provider path is not where ops/grafana/dashboards is mounted');
  const sourceUrl = new URL(source.url);
  if (!compose.services?.[sourceUrl.hostname])
    problems.push(`provisioning: data source host ${sourceUrl.hostname} is not a compose service`);
  if (volumes('prometheus').get('./ops/prometheus') !== '/etc/prometheus')
    problems.push('compose: prometheus does not mount ops/prometheus at /etc/prometheus');
  for (const job of promConfig.scrape_configs.filter((s: any) => s.dns_sd_configs))
    if (!(job.relabel_configs ?? []).some((r: any) => r.target_label === 'role' && r.source_labels?.includes('__meta_dns_name')))
      problems.push(`prometheus: job ${job.job_name} does not label its targets with role (from __meta_dns_name)`);
  for (const target of promConfig.scrape_configs.flatMap((s: any) =>
    (s.dns_sd_configs ?? []).flatMap((d: any) => d.names.map((n: string) => ({ n, port: d.port }))),
  )) {
    const app = compose.services?.[target.n];
    if (!app) problems.push(`prometheus: scrape target ${target.n} is not a compose service`);
    else if (String(app.environment?.PORT) !== String(target.port))
      problems.push(`prometheus: scrapes ${target.n}:${target.port} but the app listens on ${app.environment?.PORT}`);
  }
  return problems;
}

/** Every rule has a summary and a runbook that names an existing file and heading under docs/. */
export function checkRunbooks(): string[] {
  const problems: string[] = [];
  const rules = parseYaml(readFileSync(join(OPS, 'prometheus', 'rules.yml'), 'utf8')).groups.flatMap((g: any) => g.rules);
  for (const rule of rules) {
    const { summary, runbook } = rule.annotations ?? {};
    if (!summary || !runbook) problems.push(`rule ${rule.alert}: needs annotations summary and runbook`);
    if (!runbook) continue;
    const [file, anchor] = String(runbook).split('#');
    if (!file.startsWith('docs/') || !existsSync(join(ROOT, file))) {
      problems.push(`rule ${rule.alert}: runbook ${runbook} is not a file under docs/`);
      continue;
    }
    const slugs = (readFileSync(join(ROOT, file), 'utf8').match(/^#+ .*$/gm) ?? []).map((h) => githubSlug(h.replace(/^#+ /, '')));
    if (anchor && !slugs.includes(anchor)) problems.push(`rule ${rule.alert}: ${file} has no section #${anchor}`);
  }
  return problems;
}

/** The anchor GitHub gives a heading. */
function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

async function checkTargetsAndRules(promUrl: string, instances: number): Promise<string[]> {
  const problems: string[] = [];
  const targets = (await api(promUrl, '/api/v1/targets')).activeTargets as Array<{ health: string; scrapeUrl: string; lastError: string }>;
  const up = targets.filter((t) => t.health === 'up');
  console.log(`targets: ${up.length}/${targets.length} up`);
  if (up.length !== instances) problems.push(`targets: ${targets.map((t) => `${t.scrapeUrl} ${t.health} ${t.lastError}`).join('; ')}`);
  // The committed relabelling: role from the discovered name, instance still one per replica.
  const series = await query(promUrl, 'up{job="commerce"}');
  const labelled = series.filter((s) => s.metric.role === LOCAL_ROLE);
  const distinct = new Set(series.map((s) => s.metric.instance));
  console.log(`labels: ${labelled.length}/${series.length} targets with role="${LOCAL_ROLE}", ${distinct.size} distinct instance labels`);
  if (labelled.length !== instances || distinct.size !== instances)
    problems.push(`labels: up{job="commerce"} is ${JSON.stringify(series.map((s) => s.metric))}`);
  const groups = (await api(promUrl, '/api/v1/rules')).groups as Array<{
    rules: Array<{ name: string; health: string; lastError?: string; state?: string }>;
  }>;
  const rules = groups.flatMap((g) => g.rules);
  console.log(
    `rules: ${rules.length} loaded, ${rules.filter((r) => r.health === 'ok').length} evaluated ok, firing: ${
      rules
        .filter((r) => r.state === 'firing')
        .map((r) => r.name)
        .join(', ') || 'none'
    }`,
  );
  for (const r of rules) if (r.health !== 'ok') problems.push(`rule ${r.name}: ${r.health} ${r.lastError ?? ''}`);
  return problems;
}

/** Each dashboard variable's query must offer at least one value (what Grafana's drop-down lists). */
async function checkVariables(promUrl: string, queries: VariableQuery[]): Promise<string[]> {
  const problems: string[] = [];
  for (const q of queries) {
    const match = q.match ? `?${new URLSearchParams({ 'match[]': q.match }).toString()}` : '';
    const values = (await api(promUrl, `/api/v1/label/${q.label}/values${match}`)) as string[];
    console.log(`  ${values.length ? '✓' : '✗'} ${String(values.length).padStart(3)} values  ${q.source}`);
    if (!values.length) problems.push(`no values: ${q.source}`);
  }
  return problems;
}

/** A metric name misspelt behind `or vector(0)` would still "return data": every name must be scraped. */
async function checkMetricNames(promUrl: string, expressions: Expression[]): Promise<string[]> {
  const known = new Set((await api(promUrl, '/api/v1/label/__name__/values')) as string[]);
  const problems: string[] = [];
  for (const e of expressions) {
    for (const name of metricNames(e.expr)) if (!known.has(name)) problems.push(`unknown metric ${name} in ${e.source}`);
  }
  return problems;
}

export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = bare.slice(match.index + match[0].length).trimStart();
    if (!after.startsWith('(') && !PROMQL_WORDS.has(match[0].toLowerCase())) names.add(match[0]);
  }
  return [...names];
}

async function query(promUrl: string, expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const data = await api(promUrl, `/api/v1/query?query=${encodeURIComponent(expr)}`);
  return data.resultType === 'vector' ? data.result : data.resultType === 'scalar' ? [{ metric: {}, value: data.result }] : [];
}

async function api(promUrl: string, path: string): Promise<any> {
  const response = await fetch(`${promUrl}${path}`);
  const body = (await response.json()) as { status: string; data: any; error?: string };
  if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
  return body.data;
}

function dropCoupon(stock: number) {
  const now = Date.now();
  return {
    name: `Ops check drop ${now}`,
    discountType: 'FIXED',
    discountValue: 1_000,
    totalQuantity: stock,
    minOrderAmount: 0,
    validDays: 7,
    issueStartsAt: new Date(now - 1_000).toISOString(),
    issueEndsAt: new Date(now + 600_000).toISOString(),
  };
}

/** A product and a buyer with points: each checkout is an order created and paid (an outbox event). */
async function prepareCheckout(app: AppUnderTest, env: RunEnvironment) {
  const product = await app.expect(201, 'POST', '/admin/products', {
    name: 'Ops check item',
    price: 100,
    stock: 1_000_000,
    category: 'ops-check',
  });
  const [buyer] = env.users(1);
  await app.expect(200, 'POST', '/points/charge', { amount: 1_000_000 }, buyer.token);
  return {
    async checkout(times: number): Promise<void> {
      for (let i = 0; i < times; i++) {
        const order = await app.expect(201, 'POST', '/orders', { items: [{ productId: product.id, quantity: 1 }] }, buyer.token);
        await app.expect(200, 'POST', `/orders/${order.id}/pay`, undefined, buyer.token);
      }
    },
  };
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
