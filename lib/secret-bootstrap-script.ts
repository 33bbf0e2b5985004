/**
 * The Python program of the secrets bootstrap Job (standard library only). For every
 * `/opt/bootstrap/secret-*.json` spec it creates the Secret with freshly generated values when
 * the Secret does not exist, and leaves an existing one alone, so re-applying is safe. Then it
 * brings each copy (`copyTo` namespaces) to the original's data: created when absent, updated
 * when different. Values never leave the cluster and are never printed.
 */
export const SECRETS_BOOTSTRAP_SCRIPT = `"""Create the platform's Secrets with random values when they do not exist."""
import base64
import glob
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
    """(HTTP status, parsed JSON body or None)."""
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
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def b64(value):
    return base64.b64encode(value.encode()).decode()


def generate(specs):
    """Values for one Secret: fernet keys, URL-safe tokens and PostgreSQL URLs built from them."""
    data = {}
    for spec in specs:
        if spec["generate"] == "fernet":
            data[spec["key"]] = base64.urlsafe_b64encode(os.urandom(32)).decode()
        elif spec["generate"] == "token":
            data[spec["key"]] = secrets.token_urlsafe(32)
    for spec in specs:
        if spec["generate"] == "postgres-url":
            password = urllib.parse.quote(data[spec["passwordKey"]], safe="")
            data[spec["key"]] = (
                f"postgresql+psycopg2://{spec['user']}:{password}@{spec['host']}:{spec['port']}/{spec['database']}"
            )
    return data


def secret_body(name, data, resource_version=None):
    metadata = {"name": name, "labels": {"app.kubernetes.io/part-of": "spark-airflow-k8s"}}
    if resource_version is not None:
        metadata["resourceVersion"] = resource_version
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "Opaque", "data": dict(sorted(data.items()))}


def ensure(namespace, spec):
    """The Secret's data (base64 values), created when absent; None when it cannot be had."""
    name = spec["name"]
    path = f"/api/v1/namespaces/{namespace}/secrets"
    status, secret = api("GET", f"{path}/{urllib.parse.quote(name)}")
    if status == 200:
        print(f"secret {namespace}/{name} exists; nothing to do")
        return secret.get("data") or {}
    if status != 404:
        print(f"cannot read secret {namespace}/{name}: HTTP {status}", file=sys.stderr)
        return None
    data = {key: b64(value) for key, value in generate(spec["keys"]).items()}
    status, _ = api("POST", path, secret_body(name, data))
    if status == 201:
        print(f"created secret {namespace}/{name} with keys {', '.join(sorted(data))}")
        return data
    if status == 409:
        print(f"secret {namespace}/{name} was created concurrently; reading it")
        status, secret = api("GET", f"{path}/{urllib.parse.quote(name)}")
        return (secret.get("data") or {}) if status == 200 else None
    print(f"cannot create secret {namespace}/{name}: HTTP {status}", file=sys.stderr)
    return None


def copy(namespace, name, data):
    """Brings the copy of Secret NAME in NAMESPACE to DATA."""
    path = f"/api/v1/namespaces/{namespace}/secrets"
    status, secret = api("GET", f"{path}/{urllib.parse.quote(name)}")
    if status == 404:
        status, _ = api("POST", path, secret_body(name, data))
        if status == 201:
            print(f"copied secret {name} to {namespace}")
            return True
    elif status == 200:
        if (secret.get("data") or {}) == data:
            print(f"copy {namespace}/{name} is up to date")
            return True
        version = secret["metadata"]["resourceVersion"]
        status, _ = api("PUT", f"{path}/{urllib.parse.quote(name)}", secret_body(name, data, version))
        if status == 200:
            print(f"updated copy {namespace}/{name} to the original's data")
            return True
    print(f"cannot copy secret {name} to {namespace}: HTTP {status}", file=sys.stderr)
    return False


def main():
    with open(f"{SA}/namespace") as f:
        namespace = f.read().strip()
    ok = True
    for spec_file in sorted(glob.glob("/opt/bootstrap/secret-*.json")):
        with open(spec_file) as f:
            spec = json.load(f)
        data = ensure(namespace, spec)
        if data is None:
            ok = False
            continue
        for target in spec.get("copyTo", []):
            ok = copy(target, spec["name"], data) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
`;
