import { stringify } from 'yaml';
import { DeployFailedError } from '../errors.js';

export interface ManifestInput {
  project: string;
  version: string;
  port: number;
  healthPath: string;
  image: string;
}

const labels = (m: ManifestInput) => ({
  app: m.project,
  'app.kubernetes.io/name': m.project,
  'app.kubernetes.io/version': m.version,
});

/** Deployment with liveness and readiness probes on the health route, Prometheus scrape annotations. */
export function deploymentManifest(m: ManifestInput): Record<string, unknown> {
  const probe = (initialDelaySeconds: number, periodSeconds: number) => ({
    httpGet: { path: m.healthPath, port: 'http' },
    initialDelaySeconds,
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: m.project, labels: labels(m) },
    spec: {
      replicas: 2,
      revisionHistoryLimit: 5,
      selector: { matchLabels: { app: m.project } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: labels(m),
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(m.port),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          terminationGracePeriodSeconds: 30,
          // The one writable place of a read-only root: the SQLite file when DATABASE_URL is not set.
          volumes: [{ name: 'data', emptyDir: {} }],
          containers: [
            {
              name: m.project,
              image: m.image,
              ports: [{ name: 'http', containerPort: m.port }],
              env: [
                { name: 'PORT', value: String(m.port) },
                { name: 'HOST', value: '0.0.0.0' },
                { name: 'NODE_ENV', value: 'production' },
                // PostgreSQL when the Secret exists (needed for more than one replica to share records);
                // without it each pod keeps a SQLite file in the data volume.
                {
                  name: 'DATABASE_URL',
                  valueFrom: { secretKeyRef: { name: `${m.project}-database`, key: 'url', optional: true } },
                },
                { name: 'DATA_DIR', value: '/app/data' },
              ],
              volumeMounts: [{ name: 'data', mountPath: '/app/data' }],
              livenessProbe: probe(10, 10),
              readinessProbe: probe(2, 5),
              resources: {
                requests: { cpu: '100m', memory: '128Mi' },
                limits: { cpu: '500m', memory: '256Mi' },
              },
              securityContext: {
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
              },
            },
          ],
        },
      },
    },
  };
}

export function serviceManifest(m: ManifestInput): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: m.project, labels: labels(m) },
    spec: {
      type: 'ClusterIP',
      selector: { app: m.project },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

export function hpaManifest(m: ManifestInput): Record<string, unknown> {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: m.project, labels: labels(m) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: m.project },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ],
    },
  };
}

export function yamlDoc(value: Record<string, unknown>): string {
  return stringify(value, { lineWidth: 0 });
}

/** Scrape config for a Prometheus server: the Kubernetes pods by annotation, and the local environments. */
export function prometheusConfig(project: string, localTargets: string[]): string {
  return yamlDoc({
    global: { scrape_interval: '15s', evaluation_interval: '15s' },
    scrape_configs: [
      {
        job_name: `${project}-local`,
        metrics_path: '/metrics',
        static_configs: [
          { targets: localTargets.length > 0 ? localTargets : ['127.0.0.1:3000'], labels: { app: project } },
        ],
      },
      {
        job_name: `${project}-kubernetes`,
        kubernetes_sd_configs: [{ role: 'pod' }],
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_pod_label_app'], regex: project, action: 'keep' },
          {
            source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'],
            regex: 'true',
            action: 'keep',
          },
          {
            source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
            regex: '([^:]+)(?::\\d+)?;(\\d+)',
            replacement: '$1:$2',
            target_label: '__address__',
          },
        ],
      },
    ],
  });
}

/** Runs the released artifact (the built service), not a rebuild from source. */
export function dockerfile(
  project: string,
  version: string,
  artifactName: string,
  port: number,
  healthPath: string,
): string {
  // Every value lands in shell-ish Dockerfile lines: only the shapes release_prepare makes get in.
  const refuse = (what: string, value: string | number) => {
    throw new DeployFailedError(`refusing to write a Dockerfile with ${what} ${JSON.stringify(value)}`);
  };
  if (!/^[a-z0-9][a-z0-9-]{0,49}$/.test(project)) refuse('project', project);
  if (!/^\d+\.\d+\.\d+$/.test(version)) refuse('version', version);
  if (!/^[a-z0-9][a-z0-9.-]{0,99}\.tgz$/.test(artifactName)) refuse('artifact', artifactName);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) refuse('port', port);
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(healthPath)) refuse('health path', healthPath);
  return `# Generated by PowerAutomation release_prepare for ${project} ${version}.
# Build context: the folder holding ${artifactName} (the release artifact).
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production PORT=${port} HOST=0.0.0.0
ADD ${artifactName} /app/
RUN if [ -f package.json ] && node -e "process.exit(Object.keys(require('./package.json').dependencies||{}).length?0:1)"; then npm install --omit=dev --no-audit --no-fund; fi
USER node
EXPOSE ${port}
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:${port}${healthPath}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["npm", "start"]
`;
}
