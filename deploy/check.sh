#!/usr/bin/env bash
# Checks the deployment files without an AWS account or a Docker engine:
#   1. cfn-lint (installed from PyPI if missing) on template.yaml and cloudformation.yaml;
#   2. SAM's build targets, run the way `sam build` runs them: each must leave an executable
#      `bootstrap`, identical to the package `cargo xtask package` made, in ARTIFACTS_DIR.
# Not checked here: the CDK app (needs `npm install`) and the Dockerfile (needs an engine).
set -euo pipefail
deploy="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$deploy")"

cfn_lint() {
    python3 -c 'import sys; from cfnlint.runner import main; sys.exit(main())' "$@"
}

# An exact version: a new cfn-lint brings new rules, and CI must not turn red on its own.
cfn_lint_version=1.51.0
if [ "$(python3 -c 'import importlib.metadata as m; print(m.version("cfn-lint"))' 2>/dev/null)" != "$cfn_lint_version" ]; then
    echo "check.sh: installing cfn-lint $cfn_lint_version from PyPI" >&2
    python3 -m pip install --quiet --disable-pip-version-check "cfn-lint==$cfn_lint_version" ||
        python3 -m pip install --quiet --disable-pip-version-check --user --break-system-packages "cfn-lint==$cfn_lint_version"
fi
cfn_lint -- "$deploy/template.yaml" "$deploy/cloudformation.yaml"
echo "cfn-lint: template.yaml and cloudformation.yaml are clean"

artifacts="$(mktemp -d)"
trap 'rm -rf "$artifacts"' EXIT
for target in HelloFunction:arm64 HelloX86Function:x86_64; do
    function="${target%%:*}" arch="${target##*:}"
    mkdir "$artifacts/$function"
    # As SAM does: from a scratch directory, with --makefile naming this Makefile.
    (cd "$artifacts" && make --no-print-directory --makefile "$deploy/Makefile" \
        "build-$function" ARTIFACTS_DIR="$artifacts/$function")
    bootstrap="$artifacts/$function/bootstrap"
    [ -f "$bootstrap" ] && [ -x "$bootstrap" ] || { echo "check.sh: no executable $bootstrap" >&2; exit 1; }
    cmp "$bootstrap" "$root/target/lambda/hello/$arch/bootstrap"
    [ "$(ls -A "$artifacts/$function")" = bootstrap ] || { echo "check.sh: more than bootstrap in $function's artifacts" >&2; exit 1; }
    echo "make build-$function: an executable bootstrap for $arch in ARTIFACTS_DIR"
done
