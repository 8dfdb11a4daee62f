"""OpenAPI documents of the platform's own HTTP APIs (admin.yaml: the operators' admin API), served as files."""
