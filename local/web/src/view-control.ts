// The local stack's remote-control panel: one device's live configuration (what is wanted, what
// the device reports in effect, applied / pending / refused / pending restart), a form to change
// it, "Photo now" (a capture-photo job), and the job list with each job's status. Polled every
// 2 s: shadows and jobs have no live events on the page's stream.
import {
  type ConfigPanelForm,
  desiredChanges,
  formatValue,
  LOG_LEVELS,
  PANEL_SETTINGS,
  STATE_TEXT,
  settingRows,
} from './config-panel-model.js';
import type { DeviceConfig, JobSummary } from './control-api.js';
import type { ControlClient } from './control-client.js';
import { byId, el } from './dom.js';
import { formatDateTime } from './format.js';

const POLL_MS = 2000;

interface SettingCells {
  reported: HTMLElement;
  desired: HTMLElement;
  state: HTMLElement;
  input: HTMLInputElement | HTMLSelectElement;
}

export class ControlPanel {
  private readonly section = byId('control-section', HTMLElement);
  private readonly deviceSelect = byId('control-device', HTMLSelectElement);
  private readonly form = byId('config-form', HTMLFormElement);
  private readonly settingsBody = byId('config-body', HTMLTableSectionElement);
  private readonly configMessage = byId('config-message', HTMLElement);
  private readonly photoButton = byId('photo-now', HTMLButtonElement);
  private readonly photoMessage = byId('photo-message', HTMLElement);
  private readonly jobsBody = byId('jobs-body', HTMLTableSectionElement);
  private readonly cells = new Map<string, SettingCells>();
  private config: DeviceConfig | null = null;
  private timer: number | null = null;
  private running = false;

  constructor(private readonly client: ControlClient) {
    for (const spec of PANEL_SETTINGS) {
      const input =
        spec.input === 'level'
          ? el('select', { attrs: { name: spec.path, 'aria-label': `new ${spec.label}` } }, [
              el('option', { text: '(unchanged)', attrs: { value: '' } }),
              ...LOG_LEVELS.map((level) => el('option', { text: level, attrs: { value: level } })),
            ])
          : el('input', {
              attrs: { name: spec.path, inputmode: 'numeric', size: '7', 'aria-label': `new ${spec.label}` },
            });
      input.setAttribute('data-testid', `config-input-${spec.path}`);
      const cells: SettingCells = {
        reported: el('td', { class: 'num', attrs: { 'data-label': 'in effect' } }),
        desired: el('td', { class: 'num', attrs: { 'data-label': 'desired' } }),
        state: el('td', { attrs: { 'data-label': 'state', 'data-testid': `config-state-${spec.path}` } }),
        input,
      };
      this.cells.set(spec.path, cells);
      this.settingsBody.append(
        el('tr', {}, [
          el('th', { text: spec.label, attrs: { scope: 'row' } }),
          cells.reported,
          cells.desired,
          cells.state,
          el('td', { attrs: { 'data-label': 'change to' } }, [input]),
        ]),
      );
    }
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.applyForm();
    });
    this.photoButton.addEventListener('click', () => void this.photoNow());
    this.deviceSelect.addEventListener('change', () => {
      this.config = null;
      this.form.reset();
      void this.refresh();
    });
  }

  /** The devices to choose from, from the dashboard's snapshot. */
  setDevices(deviceIds: readonly string[]): void {
    const current = this.deviceSelect.value;
    const shown = [...this.deviceSelect.options].map((option) => option.value);
    if (shown.join('\n') !== deviceIds.join('\n')) {
      this.deviceSelect.replaceChildren(
        ...deviceIds.map((id) => el('option', { text: id, attrs: { value: id } })),
      );
      if (deviceIds.includes(current)) this.deviceSelect.value = current;
    }
    this.section.hidden = deviceIds.length === 0;
    if (this.running && this.config === null) void this.refresh();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.refresh();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
  }

  private async refresh(): Promise<void> {
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    const deviceId = this.deviceSelect.value;
    try {
      const [config, jobs] = await Promise.all([
        deviceId === '' ? Promise.resolve(null) : this.client.getConfig(deviceId),
        this.client.listJobs(),
      ]);
      if (config !== null && config.thingName === this.deviceSelect.value) this.showConfig(config);
      this.showJobs(jobs);
    } catch (error) {
      setMessage(this.configMessage, messageOf(error), 'error');
    }
    if (this.running) this.timer = window.setTimeout(() => void this.refresh(), POLL_MS);
  }

  private showConfig(config: DeviceConfig): void {
    this.config = config;
    for (const row of settingRows(config.desired, config.reported)) {
      const cells = this.cells.get(row.spec.path);
      if (cells === undefined) continue;
      setText(cells.reported, formatValue(row.reported));
      setText(cells.desired, formatValue(row.desired));
      const text = STATE_TEXT[row.state];
      setText(cells.state, row.detail === '' ? text : `${text}: ${row.detail}`);
      cells.state.className = `setting-state ${row.state}`;
    }
  }

  private showJobs(jobs: readonly JobSummary[]): void {
    if (jobs.length === 0) {
      this.jobsBody.replaceChildren(
        el('tr', { class: 'empty' }, [el('td', { text: 'No jobs yet.', attrs: { colspan: '5' } })]),
      );
      return;
    }
    this.jobsBody.replaceChildren(
      ...jobs.map((job) =>
        el('tr', { attrs: { 'data-job-id': job.jobId } }, [
          el('th', { class: 'job-id', text: job.jobId, attrs: { scope: 'row' } }),
          el('td', { text: job.operation ?? '—', attrs: { 'data-label': 'operation' } }),
          el('td', { text: job.targets.join(', '), attrs: { 'data-label': 'targets' } }),
          el('td', { attrs: { 'data-label': 'status', 'data-testid': `job-status-${job.jobId}` } }, [
            el('span', { class: `badge job ${job.status.toLowerCase()}`, text: jobStatusText(job) }),
          ]),
          el('td', {
            class: 'small muted',
            text: formatDateTime(job.createdAt * 1000),
            attrs: { 'data-label': 'created' },
          }),
        ]),
      ),
    );
  }

  private async applyForm(): Promise<void> {
    const deviceId = this.deviceSelect.value;
    if (deviceId === '') return;
    const form: ConfigPanelForm = {};
    for (const [path, cells] of this.cells) form[path] = cells.input.value;
    let changes: Record<string, unknown>;
    try {
      changes = desiredChanges(form, this.config?.desired ?? {});
    } catch (error) {
      setMessage(this.configMessage, messageOf(error), 'error');
      return;
    }
    if (Object.keys(changes).length === 0) {
      setMessage(this.configMessage, 'nothing to change', 'pending');
      return;
    }
    setMessage(this.configMessage, 'sending…', 'pending');
    try {
      const config = await this.client.setDesired(deviceId, changes);
      this.form.reset();
      this.showConfig(config);
      setMessage(this.configMessage, `sent (version ${config.version}); waiting for ${deviceId}`, 'ok');
    } catch (error) {
      setMessage(this.configMessage, messageOf(error), 'error');
    }
  }

  private async photoNow(): Promise<void> {
    const deviceId = this.deviceSelect.value;
    if (deviceId === '') return;
    this.photoButton.disabled = true;
    setMessage(this.photoMessage, 'queuing…', 'pending');
    try {
      const jobId = await this.client.createJob('capture-photo', [deviceId]);
      setMessage(this.photoMessage, `job ${jobId} queued`, 'ok');
      void this.refresh();
    } catch (error) {
      setMessage(this.photoMessage, messageOf(error), 'error');
    } finally {
      this.photoButton.disabled = false;
    }
  }
}

/** "COMPLETED" alone hides failures: a finished job says how its executions ended. */
function jobStatusText(job: JobSummary): string {
  const counts = Object.entries(job.executionCounts)
    .map(([status, count]) => (job.targets.length === 1 ? status : `${status} ${count}`))
    .join(' · ');
  return job.status === 'IN_PROGRESS' || job.status === 'COMPLETED' ? counts : `${job.status} (${counts})`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

function setMessage(element: HTMLElement, text: string, kind: 'pending' | 'ok' | 'error'): void {
  element.textContent = text;
  for (const k of ['pending', 'ok', 'error']) element.classList.toggle(k, k === kind);
}
