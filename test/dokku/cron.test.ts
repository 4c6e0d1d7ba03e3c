import { describe, expect, it } from 'vitest';
import { cronScheduleProblem } from '../../src/dokku/_cron-schedule.js';
import { base36Lc, cronHash, cronId, cronJobName, cronSuffix } from '../../src/dokku/cron.js';
import { app, compileText, filesOf, find, objectsOf, problemsOf } from '../_support/compile.js';
import { validateObject } from '../_support/validate.js';

const cronApp = (name: string, spec: string) => app(name, `image: r/x:1\n${spec}`);

describe('cron IDs and hashes, as Dokku computes them', () => {
  it('computes the cron ID and hash of a task by Dokku\'s formula', () => {
    // Hand computation (plugins/cron/cron.go GenerateCommandID; P/functions.go cronIDLabelValue):
    //   input  "a===ls===@daily" (app === command === schedule), UTF-8 bytes
    //          61 3d 3d 3d 6c 73 3d 3d 3d 40 64 61 69 6c 79
    //   read as one big-endian integer: 504894874191308191418013790774062201
    //   divided by 36 repeatedly, remainders read backwards with digits 0-9a-z:
    //          t 5 6 c e i 8 l v w x w f 6 b c o 5 y t z 0 9  ->  "t56cei8lvwxwf6bco5ytz09"
    //   cron-hash = sha1("t56cei8lvwxwf6bco5ytz09") = 8d7e866124ff4a4e71ba5136cea1b9d0f4514919
    //   (checked with: python3 -c 'import hashlib; print(hashlib.sha1(b"t56cei8lvwxwf6bco5ytz09").hexdigest())')
    // GIVEN / WHEN
    const id = cronId('a', 'ls', '@daily');
    // THEN
    expect(id).toBe('t56cei8lvwxwf6bco5ytz09');
    expect(cronHash(id)).toBe('8d7e866124ff4a4e71ba5136cea1b9d0f4514919');
    expect(cronSuffix(id)).toBe('8d7e866124');
    expect(cronJobName('a', id)).toBe('a-cron-8d7e866124');
  });

  it('renders the hand-computed ID and hash on the CronJob, its Job template and its pods', () => {
    // GIVEN the same task as above, in app "a"
    const result = compileText(cronApp('a', 'appJson: {cron: [{command: ls, schedule: "@daily"}]}'));
    // THEN
    const cron = find(result, 'CronJob', 'a-cron-8d7e866124');
    for (const meta of [cron.metadata, cron.spec.jobTemplate.metadata, cron.spec.jobTemplate.spec.template.metadata]) {
      expect(meta.annotations['dokku.com/cron-id']).toBe('t56cei8lvwxwf6bco5ytz09');
      expect(meta.annotations['dokku.com/cron-hash']).toBe('8d7e866124ff4a4e71ba5136cea1b9d0f4514919');
      expect(meta.annotations['dokku.com/job-suffix']).toBe('8d7e866124');
      expect(meta.labels['dokku.com/cron-hash']).toBe('8d7e866124ff4a4e71ba5136cea1b9d0f4514919');
    }
  });

  it('encodes leading zero bytes as leading zeros, as go-base36 does', () => {
    // 0x00 0x78: one zero byte gives "0", then 0x78 = 120 = 3*36 + 12 -> "3c"
    expect(base36Lc(new Uint8Array([0, 0x78]))).toBe('03c');
    expect(base36Lc(new Uint8Array([0, 0]))).toBe('00');
  });

  it('keeps CronJob names within 52 characters by cutting the app name, never the suffix', () => {
    // GIVEN an app name of 50 characters
    const long = 'a'.repeat(50);
    const id = cronId(long, 'ls', '@daily');
    // WHEN
    const name = cronJobName(long, id);
    // THEN
    expect(name).toBe(`${'a'.repeat(36)}-cron-${cronSuffix(id)}`);
    expect(name.length).toBe(52);
  });

  it('derives a different, stable suffix for each task', () => {
    const result = compileText(cronApp('a', 'appJson: {cron: [{command: ls, schedule: "@daily"}, {command: ls, schedule: "@hourly"}]}'));
    const names = objectsOf(result).filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name);
    expect(names.sort()).toEqual([`a-cron-${cronSuffix(cronId('a', 'ls', '@daily'))}`, `a-cron-${cronSuffix(cronId('a', 'ls', '@hourly'))}`].sort());
    expect(new Set(names).size).toBe(2);
    expect(filesOf(result)).toEqual(filesOf(compileText(cronApp('a', 'appJson: {cron: [{command: ls, schedule: "@daily"}, {command: ls, schedule: "@hourly"}]}'))));
  });
});

describe('CronJobs', () => {
  it('renders every field scheduler-k3s renders, with the schedule quoted', async () => {
    // GIVEN a dockerfile app with one task
    const result = compileText(cronApp('a', 'appJson: {cron: [{command: "python report.py --daily", schedule: "5 4 * * *"}]}'));
    const id = cronId('a', 'python report.py --daily', '5 4 * * *');
    const name = `a-cron-${cronSuffix(id)}`;
    // WHEN
    const cron = find(result, 'CronJob', name);
    // THEN
    expect(cron.spec).toEqual({
      schedule: '5 4 * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Allow',
      suspend: false,
      startingDeadlineSeconds: 60,
      successfulJobsHistoryLimit: 10,
      failedJobsHistoryLimit: 10,
      jobTemplate: {
        metadata: cron.spec.jobTemplate.metadata,
        spec: {
          backoffLimit: 0,
          podReplacementPolicy: 'Failed',
          ttlSecondsAfterFinished: 60,
          activeDeadlineSeconds: 86400,
          template: {
            metadata: cron.spec.jobTemplate.spec.template.metadata,
            spec: {
              containers: [
                {
                  name: 'a-cron',
                  image: 'r/x:1',
                  imagePullPolicy: 'Always',
                  args: ['python', 'report.py', '--daily'],
                  envFrom: [{ secretRef: { name: 'config-a', optional: true } }],
                  resources: { requests: { cpu: '100m', memory: '128Mi' } },
                },
              ],
              restartPolicy: 'Never',
              serviceAccountName: 'a',
            },
          },
        },
      },
    });
    expect(cron.metadata.labels).toEqual({
      'app.kubernetes.io/instance': name,
      'app.kubernetes.io/name': 'cron',
      'app.kubernetes.io/part-of': 'a',
      'app.kubernetes.io/managed-by': 'dokku-gitops',
      'dokku.com/cron-hash': cronHash(id),
    });
    expect(cron.metadata.annotations).toEqual({
      'dokku.com/managed': 'true',
      'dokku.com/builder-type': 'dockerfile',
      'dokku.com/cron-hash': cronHash(id),
      'dokku.com/cron-id': id,
      'dokku.com/job-suffix': cronSuffix(id),
      'kubectl.kubernetes.io/default-container': 'a-cron',
    });
    expect(filesOf(result)[`apps/a/cronjob-${name}.yaml`]).toContain('  schedule: "5 4 * * *"\n');
    expect(await validateObject(cron)).toBe(true);
  });

  it('shell-splits the command into args, keeps $VAR as written, and runs launcher for pack images', () => {
    // GIVEN a pack app and a herokuish app with quoted arguments and a variable
    const command = `bundle exec rake "report[a b]" 'x y' $TARGET`;
    const pack = compileText(cronApp('p', `builder: pack\nappJson: {cron: [{command: ${JSON.stringify(command)}, schedule: "@hourly"}]}`));
    const herokuish = compileText(cronApp('h', `builder: herokuish\nappJson: {cron: [{command: ${JSON.stringify(command)}, schedule: "@hourly"}]}`));
    // THEN
    const container = (r: ReturnType<typeof compileText>) => objectsOf(r).find((o) => o.kind === 'CronJob')!.spec.jobTemplate.spec.template.spec.containers[0];
    // `$$` is how a manifest writes a literal `$`: the container receives `$TARGET`, as written
    expect(container(pack).args).toEqual(['bundle', 'exec', 'rake', 'report[a b]', 'x y', '$$TARGET']);
    expect(container(pack).command).toEqual(['launcher']);
    expect(container(herokuish).args).toEqual(['bundle', 'exec', 'rake', 'report[a b]', 'x y', '$$TARGET']);
    expect(container(herokuish).command).toBeUndefined();
  });

  it.each([
    [undefined, 'Allow'],
    ['allow', 'Allow'],
    ['forbid', 'Forbid'],
    ['replace', 'Replace'],
  ])('maps concurrency_policy %s to %s', (policy, expected) => {
    const task = policy ? `{command: ls, schedule: "@daily", concurrency_policy: ${policy}}` : '{command: ls, schedule: "@daily"}';
    const cron = objectsOf(compileText(cronApp('a', `appJson: {cron: [${task}]}`))).find((o) => o.kind === 'CronJob')!;
    expect(cron.spec.concurrencyPolicy).toBe(expected);
  });

  it('suspends a task in maintenance, and every task of a stopped app', () => {
    // GIVEN
    const tasks = 'appJson: {cron: [{command: a, schedule: "@daily", maintenance: true}, {command: b, schedule: "@daily"}]}';
    const running = compileText(cronApp('a', tasks));
    const stopped = compileText(cronApp('a', `${tasks}\nstopped: true`));
    // THEN
    const suspend = (r: ReturnType<typeof compileText>, command: string) => find(r, 'CronJob', cronJobName('a', cronId('a', command, '@daily'))).spec.suspend;
    expect([suspend(running, 'a'), suspend(running, 'b')]).toEqual([true, false]);
    expect([suspend(stopped, 'a'), suspend(stopped, 'b')]).toEqual([true, true]);
  });

  it('looks resources up by cron ID, falling back to _default_', () => {
    // GIVEN resources for the task's cron ID and a _default_
    const id = cronId('a', 'ls', '@daily');
    const result = compileText(cronApp('a', `appJson: {cron: [{command: ls, schedule: "@daily"}, {command: ls, schedule: "@hourly"}]}\nresources:\n  _default_: {reserve: {cpu: 50m}}\n  ${id}: {limit: {memory: "256"}, reserve: {memory: "64"}}`));
    // THEN
    const resources = (schedule: string) => find(result, 'CronJob', cronJobName('a', cronId('a', 'ls', schedule))).spec.jobTemplate.spec.template.spec.containers[0].resources;
    expect(resources('@daily')).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } });
    expect(resources('@hourly')).toEqual({ requests: { cpu: '50m', memory: '128Mi' } });
  });

  it('puts cronjob, job and pod annotations and labels on their levels, the cron ID scope after the app-wide one', () => {
    // GIVEN app-wide values and values set with the cron ID as process type
    const id = cronId('a', 'ls', '@daily');
    const result = compileText(
      cronApp(
        'a',
        `appJson: {cron: [{command: ls, schedule: "@daily"}]}
annotations:
  --global: {cronjob: {c: app, shared: app}, job: {j: app}, pod: {p: app}, deployment: {d: app}}
  ${id}: {cronjob: {shared: task}, pod: {p: task}}
labels:
  --global: {cronjob: {tier: batch}, pod: {team: a, app.kubernetes.io/name: nope}}
  ${id}: {job: {kind: nightly}}`,
      ),
    );
    // THEN
    const cron = find(result, 'CronJob', cronJobName('a', id));
    const job = cron.spec.jobTemplate.metadata;
    const pod = cron.spec.jobTemplate.spec.template.metadata;
    expect([cron.metadata.annotations.c, cron.metadata.annotations.shared, cron.metadata.annotations.d]).toEqual(['app', 'task', undefined]);
    expect(cron.metadata.labels.tier).toBe('batch');
    expect([job.annotations.j, job.annotations.c, job.labels.kind]).toEqual(['app', undefined, 'nightly']);
    expect([pod.annotations.p, pod.labels.team, pod.labels['app.kubernetes.io/name']]).toEqual(['task', 'a', 'cron']);
    expect(pod.labels['app.kubernetes.io/managed-by']).toBeUndefined();
  });
});

describe('cron schedules', () => {
  it.each(['* * * * *', '*/15 * * * *', '0 3 * * sun', '30 2 1 jan,jul *', '0-30/10 8-18 ? * MON-FRI', '5/10 * * * *', '@daily', '@annually', '@midnight', '@every 1h30m', '@every 90s'])(
    'accepts %s',
    (schedule) => {
      expect(cronScheduleProblem(schedule)).toBeUndefined();
    },
  );

  it.each([
    ['', 'it is empty'],
    ['* * * *', 'it has 4 fields, not 5'],
    ['0 0 * * * *', 'it has 6 fields, not 5'],
    ['61 * * * *', 'minute 61 is above the maximum 59'],
    ['* 24 * * *', 'hour 24 is above the maximum 23'],
    ['* * 0 * *', 'day-of-month 0 is below the minimum 1'],
    ['* * * 13 *', 'month 13 is above the maximum 12'],
    ['* * * * 7', 'day-of-week 7 is above the maximum 6'],
    ['* * * foo *', 'month "foo" is not a number or a name'],
    ['10-5 * * * *', 'minute range "10-5" starts after it ends'],
    ['*/0 * * * *', 'minute step in "*/0" must be a positive number'],
    ['1-2-3 * * * *', 'minute "1-2-3" has more than one \'-\''],
    ['@fortnightly', '"@fortnightly" is not a known descriptor'],
    ['@every soon', '"soon" is not a duration (90s, 5m, 1h30m)'],
    ['CRON_TZ=Europe/Paris 0 3 * * *', 'a TZ= or CRON_TZ= prefix is not allowed (the CronJob runs in Etc/UTC)'],
  ])('rejects %j: %s', (schedule, problem) => {
    expect(cronScheduleProblem(schedule)).toBe(problem);
  });
});

describe('bad cron tasks', () => {
  it('fails if a schedule is invalid', () => {
    expect(problemsOf(cronApp('a', 'appJson: {cron: [{command: ls, schedule: "61 * * * *"}]}'))).toEqual([
      'state-1.yaml:7: app a: spec.appJson.cron[0].schedule: "61 * * * *" is not a valid cron schedule: minute 61 is above the maximum 59; use 5 fields (minute hour day-of-month month day-of-week) or a descriptor (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @every <duration>)',
    ]);
  });

  it('fails if a concurrency policy is unknown', () => {
    expect(problemsOf(cronApp('a', 'appJson: {cron: [{command: ls, schedule: "@daily", concurrency_policy: Forbid}]}'))).toEqual([
      'state-1.yaml:7: app a: spec.appJson.cron[0].concurrency_policy: "Forbid" is not a concurrency policy; allowed values: allow, forbid, replace',
    ]);
  });

  it('fails if a command cannot be split into words', () => {
    expect(problemsOf(cronApp('a', `appJson: {cron: [{command: "echo 'oops", schedule: "@daily"}]}`))).toEqual([
      'state-1.yaml:7: app a: spec.appJson.cron[0].command: "echo \'oops" cannot be split into words: unterminated single quote',
    ]);
  });

  it('fails if two tasks have the same command and schedule', () => {
    expect(problemsOf(cronApp('a', 'appJson: {cron: [{command: ls, schedule: "@daily"}, {command: ls, schedule: "@daily"}]}'))).toEqual([
      'state-1.yaml:7: app a: spec.appJson.cron[1]: repeats cron task 0 (same command and schedule, so the same cron ID); remove one',
    ]);
  });

  it('fails if the app name makes the cron container name too long', () => {
    const name = 'a'.repeat(59);
    expect(problemsOf(cronApp(name, 'appJson: {cron: [{command: ls, schedule: "@daily"}]}'))).toEqual([
      `state-1.yaml:4: app ${name}: metadata.name: "config-${name}" is longer than the 63 characters of a label value; the app name may have at most 56 characters`,
      `state-1.yaml:7: app ${name}: spec.appJson.cron: the cron container name "${name}-cron" is longer than 63 characters; use a shorter app name`,
    ]);
  });
});
