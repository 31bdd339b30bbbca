{{/* The prefix of every object name: the release name, or <release>-jdd when it does not say jdd. */}}
{{- define "jdd.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The labels that Helm installs add to what daemonset.yaml has. Argument: dict "root" . "component" "agent|router". */}}
{{- define "jdd.helmLabels" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/version: {{ .root.Values.image.tag | default .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* All labels of an object of one component (agent or router); named ones also carry app.kubernetes.io/name. */}}
{{- define "jdd.labels" -}}
{{- if .named -}}
app.kubernetes.io/name: jdd-{{ .component }}
{{ end -}}
app.kubernetes.io/part-of: jdd
{{ include "jdd.helmLabels" . }}
{{- end -}}

{{/* Selects the pods of one component; the router's --agent-selector uses the agent's. */}}
{{- define "jdd.selectorLabels" -}}
app.kubernetes.io/name: jdd-{{ . }}
{{- end -}}

{{- define "jdd.image" -}}
image: {{ printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) | quote }}
{{- with .Values.image.pullPolicy }}
imagePullPolicy: {{ . }}
{{- end }}
{{- end -}}

{{- define "jdd.imagePullSecrets" -}}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The token both roles share: an existing Secret, or the one this chart creates (secret.yaml). */}}
{{- define "jdd.tokenEnv" -}}
- name: JDD_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.token.existingSecret | default (printf "%s-token" (include "jdd.fullname" .)) }}
      key: {{ if .Values.token.existingSecret }}{{ .Values.token.existingSecretKey }}{{ else }}token{{ end }}
{{- end -}}

{{/* JDD_* variables for the values that are set (not null); dict name -> value, rendered in name order. */}}
{{- define "jdd.optionalEnv" -}}
{{- range $name, $value := . }}
{{- if and (not (kindIs "invalid" $value)) (ne (toString $value) "") }}
- name: {{ $name }}
  value: {{ (kindIs "float64" $value) | ternary ($value | int64) $value | toString | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* A JDD_* variable read from a Secret when the Secret is named. Argument: list NAME secretName key. */}}
{{- define "jdd.secretEnv" -}}
{{- $name := index . 0 }}{{ $secret := index . 1 }}{{ $key := index . 2 }}
{{- if $secret }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $key }}
{{- end }}
{{- end -}}
