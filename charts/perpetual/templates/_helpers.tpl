{{/*
Names. "helm install perpetual" gives perpetual-operator, the names config/ uses, so the chart and
kubectl apply -k config/default render the same objects (a test compares them).
*/}}
{{- define "perpetual.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 54 | trimSuffix "-" -}}
{{- else if contains "perpetual" .Release.Name -}}
{{- .Release.Name | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-perpetual" .Release.Name | trunc 54 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "perpetual.operatorName" -}}
{{- printf "%s-operator" (include "perpetual.fullname" .) -}}
{{- end -}}

{{/*
The operator's selector: the same two labels as config/, never changed (Deployment selectors are
immutable, and keeping config/'s lets an install move from kubectl apply -k to Helm).
*/}}
{{- define "perpetual.selectorLabels" -}}
app.kubernetes.io/name: perpetual
app.kubernetes.io/component: operator
{{- end -}}

{{/*
What Helm adds to the labels config/ gives each object (the comparison with config/ ignores exactly
these keys).
*/}}
{{- define "perpetual.helmLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "perpetual.operatorLabels" -}}
{{ include "perpetual.selectorLabels" . }}
{{ include "perpetual.helmLabels" . }}
{{- end -}}

{{/* Labels a Prometheus or Grafana selects the observability pack by, from monitoring.labels. */}}
{{- define "perpetual.monitoringLabels" -}}
{{- with .Values.monitoring.labels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "perpetual.image" -}}
{{- printf "%s:%s" .repository (.tag | default .appVersion) -}}
{{- end -}}

{{/* True when the Prometheus Operator's API (ServiceMonitor, PodMonitor, PrometheusRule) is served. */}}
{{- define "perpetual.hasPrometheusOperator" -}}
{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" -}}true{{- end -}}
{{- end -}}
