import { describe, expect, it } from 'vitest';
import { renderChartFiles, renderMonitorTemplates } from './gen-chart.ts';
import { driftedFiles } from './gen-crds.ts';

describe("the chart's generated files", () => {
  it('match their sources: config/rbac, config/prometheus, config/grafana (run `npm run generate` after changing one)', () => {
    expect(driftedFiles(renderChartFiles())).toEqual([]);
    expect(driftedFiles(renderMonitorTemplates())).toEqual([]);
  });

  it('include the ClusterRole and its namespaced Roles, every monitor, the rule file and every dashboard (hack/gen-crds.ts renders the CRDs)', () => {
    const names = [...renderChartFiles().keys(), ...renderMonitorTemplates().keys()]
      .map((p) => p.split('/charts/perpetual/')[1] ?? p.split('/config/')[1])
      .sort();
    expect(names).toEqual([
      'files/dashboards/gateway.json',
      'files/dashboards/models.json',
      'files/dashboards/operator.json',
      'files/perpetual.rules.yaml',
      'prometheus/prometheus_rule.yaml',
      'templates/clusterrole.yaml',
      'templates/monitoring/gateway-service-monitor.yaml',
      'templates/monitoring/operator-service-monitor.yaml',
      'templates/monitoring/prometheus-rule.yaml',
      'templates/monitoring/vllm-pod-monitor.yaml',
      'templates/namespaced-roles.yaml',
    ]);
  });

  it('detects a hand edit', () => {
    const files = renderMonitorTemplates();
    const [first] = files.keys();
    files.set(first!, `${files.get(first!) ?? ''}# edited by hand\n`);
    expect(driftedFiles(files)).toHaveLength(1);
  });
});
