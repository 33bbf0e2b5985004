/**
 * The Python program of the Airflow secrets bootstrap Job. It runs in the Airflow image
 * (standard library only) with a ServiceAccount that may create Secrets and get the one it
 * manages. When the Secret exists it does nothing, so re-applying is safe; otherwise it creates
 * it with fresh random keys. Values never leave the cluster and are never printed.
 */
export const SECRETS_BOOTSTRAP_SCRIPT = `"""Create the Airflow Secret with random keys when it does not exist."""
import base64
import json
import os
import secrets
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

SA = "/var/run/secrets/kubernetes.io/serviceaccount"


def api(method, path, body=None):
    host = os.environ["KUBERNETES_SERVICE_HOST"]
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    with open(f"{SA}/token") as f:
        token = f.read().strip()
    context = ssl.create_default_context(cafile=f"{SA}/ca.crt")
    request = urllib.request.Request(
        f"https://{host}:{port}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def b64(value):
    return base64.b64encode(value.encode()).decode()


def main():
    with open(f"{SA}/namespace") as f:
        namespace = f.read().strip()
    name = os.environ["SECRET_NAME"]
    path = f"/api/v1/namespaces/{namespace}/secrets"
    status = api("GET", f"{path}/{urllib.parse.quote(name)}")
    if status == 200:
        print(f"secret {namespace}/{name} exists; nothing to do")
        return 0
    if status != 404:
        print(f"cannot read secret {namespace}/{name}: HTTP {status}", file=sys.stderr)
        return 1
    data = {
        "fernet-key": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "api-secret-key": secrets.token_urlsafe(32),
        "jwt-secret": secrets.token_urlsafe(32),
    }
    if os.environ.get("DB_HOST"):
        password = secrets.token_urlsafe(24)
        user, db = os.environ["DB_USER"], os.environ["DB_NAME"]
        data["postgres-password"] = password
        data["sql-alchemy-conn"] = (
            f"postgresql+psycopg2://{user}:{urllib.parse.quote(password, safe='')}"
            f"@{os.environ['DB_HOST']}:{os.environ['DB_PORT']}/{db}"
        )
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "spark-airflow-k8s"}},
        "type": "Opaque",
        "data": {key: b64(value) for key, value in sorted(data.items())},
    }
    status = api("POST", path, body)
    if status == 201:
        print(f"created secret {namespace}/{name} with keys {', '.join(sorted(data))}")
        return 0
    if status == 409:
        print(f"secret {namespace}/{name} was created concurrently; nothing to do")
        return 0
    print(f"cannot create secret {namespace}/{name}: HTTP {status}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
`;
