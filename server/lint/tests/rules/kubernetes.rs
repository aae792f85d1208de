//! Kubernetes rules: objects, values, references, pod security, MetalLB.
use super::*;

/// PV104: numbers out of range, repeated names and ports, multi-port Services
/// without names, rolling-update settings, empty selectors, image references.
#[test]
fn kubernetes_ranges_and_uniqueness() {
    let pairs: Vec<(&str, &str)> = vec![
        ("containerPort: 80", "containerPort: 80800"),
        ("    - port: 80\n", "    - port: 0\n"),
        ("  replicas: 2", "  replicas: -1"),
        (
            "              port: http\n",
            "              port: http\n            initialDelaySeconds: -5\n",
        ),
        (
            "      targetPort: http\n",
            "      targetPort: http\n      nodePort: 8080\n",
        ),
        (
            "              containerPort: 80\n",
            "              containerPort: 80\n            - name: http\n              containerPort: 81\n",
        ),
        (
            "              containerPort: 80\n",
            "              containerPort: 80\n            - name: alt\n              containerPort: 80\n",
        ),
        (
            "          image: nginx:1.27\n",
            "          image: nginx:1.27\n        - name: web\n          image: busybox:1.37\n",
        ),
        ("image: nginx:1.27", "image: Nginx:1.27"),
        ("image: nginx:1.27", "image: nginx:1.27:x"),
        (
            "    matchLabels:\n      app: web\n  template",
            "    matchLabels: {}\n  template",
        ),
        (
            "  replicas: 2\n",
            "  replicas: 2\n  strategy:\n    type: Recreate\n    rollingUpdate:\n      maxSurge: 1\n",
        ),
        (
            "  replicas: 2\n",
            "  replicas: 2\n  strategy:\n    rollingUpdate:\n      maxUnavailable: 150%\n",
        ),
        (
            "  replicas: 2\n",
            "  replicas: 2\n  strategy:\n    rollingUpdate:\n      maxUnavailable: 0\n      maxSurge: 0\n",
        ),
        (
            "    - port: 80\n      targetPort: http\n",
            "    - port: 80\n      targetPort: http\n    - port: 8080\n      targetPort: http\n",
        ),
        (
            "    - port: 80\n      targetPort: http\n",
            "    - name: a\n      port: 80\n      targetPort: http\n    - name: b\n      port: 80\n      targetPort: http\n",
        ),
    ];
    for (good, bad) in &pairs {
        assert!(DEPLOY.contains(good), "{good}");
        kcase("PV104", &DEPLOY.replacen(good, bad, 1), DEPLOY);
    }
    // Accepted forms: registries with ports, digests, named ports, percentages, one unnamed
    // Service port, a liveness probe's successThreshold of 1.
    for (from, to) in [
        ("image: nginx:1.27", "image: registry.lab:5000/team/nginx:1.27"),
        (
            "image: nginx:1.27",
            "image: nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ),
        (
            "  replicas: 2\n",
            "  replicas: 2\n  strategy:\n    rollingUpdate:\n      maxUnavailable: 25%\n      maxSurge: 0\n",
        ),
        (
            "              port: http\n",
            "              port: http\n          livenessProbe:\n            tcpSocket:\n              port: 80\n            successThreshold: 1\n",
        ),
        (
            "    - port: 80\n      targetPort: http\n",
            "    - name: web\n      port: 80\n      targetPort: http\n    - name: alt\n      port: 8080\n      targetPort: 80\n",
        ),
    ] {
        let g = codes("k/app.yaml", &DEPLOY.replacen(from, to, 1));
        assert!(!g.iter().any(|c| c == "PV104"), "{to}: {g:?}");
    }
    kcase(
        "PV104",
        &DEPLOY.replacen(
            "              port: http\n",
            "              port: http\n          livenessProbe:\n            tcpSocket:\n              port: 80\n            successThreshold: 2\n",
            1,
        ),
        DEPLOY,
    );
}

/// PV124: ConfigMap and Secret references against the objects the files define; PV125: the
/// baseline Pod Security Standard.
#[test]
fn kubernetes_config_refs_and_pod_security() {
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: NS\ndata:\n  COLOR: blue\n---\n";
    let with = |ns: &str, env: &str| {
        format!(
            "{}{}",
            cm.replace("NS", ns),
            DEPLOY.replacen(
                "          image: nginx:1.27\n",
                &format!("          image: nginx:1.27\n{env}"),
                1
            )
        )
    };
    let env_from =
        "          envFrom:\n            - configMapRef:\n                name: web-config\n";
    let key_ref = |key: &str| {
        format!("          env:\n            - name: COLOR\n              valueFrom:\n                configMapKeyRef:\n                  name: web-config\n                  key: {key}\n")
    };
    // Another namespace: an error.
    kcase("PV124", &with("apps", env_from), &with("default", env_from));
    // A missing key: an error, with the nearest key as the fix.
    kcase(
        "PV124",
        &with("default", &key_ref("COLOUR")),
        &with("default", &key_ref("COLOR")),
    );
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: with("default", &key_ref("COLR")),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV124").expect("PV124");
    assert_eq!(x.severity, provisio_lint::Severity::Error);
    assert_eq!(x.fix.as_deref(), Some("did you mean `COLOR`?"));
    // A ConfigMap these files do not define, while they define others: a warning.
    let other = with("default", &env_from.replace("web-config", "web-cfg"));
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: other,
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV124").expect("PV124");
    assert_eq!(x.severity, provisio_lint::Severity::Warning);
    // Not judged: optional references, Secrets created out of band, and files that define no
    // ConfigMaps at all.
    for content in [
        with(
            "default",
            "          envFrom:\n            - configMapRef:\n                name: nope\n                optional: true\n",
        ),
        with(
            "default",
            "          envFrom:\n            - secretRef:\n                name: web-secrets\n",
        ),
        DEPLOY.replacen(
            "          image: nginx:1.27\n",
            &format!("          image: nginx:1.27\n{env_from}"),
            1,
        ),
    ] {
        let g = codes("k/app.yaml", &content);
        assert!(!g.iter().any(|c| c == "PV124"), "{content}\n{g:?}");
    }
    // Volumes: `items[].key` must exist.
    let vol = |key: &str| {
        format!(
            "{}{}",
            cm.replace("NS", "default"),
            DEPLOY.replacen(
                "      containers:\n",
                &format!("      volumes:\n        - name: cfg\n          configMap:\n            name: web-config\n            items:\n              - key: {key}\n                path: color\n      containers:\n"),
                1
            )
        )
    };
    kcase("PV124", &vol("colour"), &vol("COLOR"));

    // PV125.
    for (from, to) in [
        ("      containers:\n", "      hostNetwork: true\n      containers:\n"),
        (
            "      containers:\n",
            "      volumes:\n        - name: host\n          hostPath:\n            path: /var/run\n      containers:\n",
        ),
        (
            "          image: nginx:1.27\n",
            "          image: nginx:1.27\n          securityContext:\n            capabilities:\n              add: [\"SYS_ADMIN\"]\n",
        ),
        (
            "      containers:\n",
            "      securityContext:\n        seccompProfile:\n          type: Unconfined\n      containers:\n",
        ),
    ] {
        kcase("PV125", &DEPLOY.replacen(from, to, 1), DEPLOY);
    }
    let g = codes(
        "k/app.yaml",
        &DEPLOY.replacen(
            "          image: nginx:1.27\n",
            "          image: nginx:1.27\n          securityContext:\n            capabilities:\n              add: [\"NET_BIND_SERVICE\"]\n              drop: [\"ALL\"]\n",
            1,
        ),
    );
    assert!(!g.iter().any(|c| c == "PV125"), "{g:?}");

    // A repeated environment variable: a PV104 warning.
    let env = |second: &str| {
        DEPLOY.replacen(
            "          image: nginx:1.27\n",
            &format!("          image: nginx:1.27\n          env:\n            - name: MODE\n              value: a\n            - name: {second}\n              value: b\n"),
            1,
        )
    };
    kcase("PV104", &env("MODE"), &env("LEVEL"));
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: env("MODE"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV104").expect("PV104");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");

    // PV126: explicit root, privilege escalation.
    let ctx = |pod: &str, container: &str| {
        DEPLOY
            .replacen(
                "      containers:\n",
                &format!("{pod}      containers:\n"),
                1,
            )
            .replacen(
                "          image: nginx:1.27\n",
                &format!("          image: nginx:1.27\n{container}"),
                1,
            )
    };
    let pod_root = "      securityContext:\n        runAsUser: 0\n";
    let pod_user = "      securityContext:\n        runAsUser: 1000\n";
    let c_root = "          securityContext:\n            runAsUser: 0\n";
    let c_user = "          securityContext:\n            runAsUser: 101\n";
    kcase("PV126", &ctx(pod_root, ""), &ctx(pod_user, ""));
    kcase("PV126", &ctx("", c_root), &ctx("", c_user));
    kcase(
        "PV126",
        &ctx(
            "",
            "          securityContext:\n            allowPrivilegeEscalation: true\n",
        ),
        &ctx(
            "",
            "          securityContext:\n            allowPrivilegeEscalation: false\n",
        ),
    );
    // Every container overrides the pod's root user: not reported.
    let g = codes("k/app.yaml", &ctx(pod_root, c_user));
    assert!(!g.iter().any(|c| c == "PV126"), "{g:?}");
    // A warning that names the container.
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: ctx("", c_root),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV126").expect("PV126");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert!(x.message.contains("container `web`"), "{x:?}");
}

/// Values the API server refuses (PV104), misspelt kinds (PV103), repeated keys (PV003).
#[test]
fn kubernetes_values() {
    // Volumes and mounts: a mount must name a volume of the pod (or a
    // StatefulSet's claim template), volume names and a container's mount paths are unique.
    let mounts = |m: &str, v: &str| {
        DEPLOY
            .replace(
                "          resources:\n",
                &format!("          volumeMounts:\n{m}          resources:\n"),
            )
            .replace(
                "      containers:\n",
                &format!("      volumes:\n{v}      containers:\n"),
            )
    };
    let m1 = "            - name: data\n              mountPath: /data\n";
    let v1 = "        - name: data\n          emptyDir: {}\n";
    let v2 = "        - name: cache\n          emptyDir: {}\n";
    for bad in [
        mounts(m1, v2),
        mounts(m1, &format!("{v1}{v1}")),
        mounts(
            &format!("{m1}            - name: cache\n              mountPath: /data/\n"),
            &format!("{v1}{v2}"),
        ),
    ] {
        kcase("PV104", &bad, &mounts(m1, &format!("{v1}{v2}")));
    }
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: mounts(m1, v2),
        }],
        Some(&facts()),
    );
    let x = f.iter().find(|x| x.code == "PV104").expect("PV104");
    assert!(
        x.message.contains("volume `data`") && x.message.contains("cache"),
        "{x:?}"
    );
    let sts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db\n  selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        app: db\n    spec:\n      containers:\n        - name: db\n          image: postgres:17\n          volumeMounts:\n            - name: pgdata\n              mountPath: /var/lib/postgresql/data\n  volumeClaimTemplates:\n    - metadata:\n        name: pgdata\n      spec:\n        accessModes: [ReadWriteOnce]\n        resources:\n          requests:\n            storage: 10Gi\n";
    kcase(
        "PV104",
        &sts.replace(
            "        name: pgdata\n      spec",
            "        name: data\n      spec",
        ),
        sts,
    );
    kcase(
        "PV003",
        &DEPLOY.replace("  replicas: 2\n", "  replicas: 2\n  replicas: 3\n"),
        DEPLOY,
    );
    kcase(
        "PV103",
        &DEPLOY.replace("kind: Deployment", "kind: Deployement"),
        DEPLOY,
    );
    kcase(
        "PV103",
        &DEPLOY.replace("kind: Service", "kind: service"),
        DEPLOY,
    );
    let pairs: Vec<(&str, &str)> = vec![
        ("memory: 64Mi", "memory: 64MB"),
        ("cpu: 50m", "cpu: 50mc"),
        ("memory: 128Mi", "memory: 1.5GiB"),
        ("        - name: web\n", "        - name: Web_Server\n"),
        (
            "            - name: http\n",
            "            - name: http-metrics-port\n",
        ),
        (
            "metadata:\n  name: web\nspec:\n  replicas",
            "metadata:\n  name: Web_App\nspec:\n  replicas",
        ),
        (
            "metadata:\n  name: web\n  annotations",
            "metadata:\n  name: 1web\n  annotations",
        ),
        (
            "      labels:\n        app: web",
            "      labels:\n        app: web server",
        ),
        (
            "          image: nginx:1.27\n",
            "          image: nginx:1.27\n          imagePullPolicy: always\n",
        ),
        (
            "              containerPort: 80\n",
            "              containerPort: 80\n              protocol: tcp\n",
        ),
        ("  type: LoadBalancer", "  type: Loadbalancer"),
        (
            "  replicas: 2\n",
            "  replicas: 2\n  strategy:\n    type: Rolling\n",
        ),
    ];
    for (good, bad) in pairs {
        assert!(DEPLOY.contains(good), "{good}");
        kcase("PV104", &DEPLOY.replace(good, bad), DEPLOY);
    }
    // PV123: a probe on a port number the container does not declare.
    let probe = |port: &str| {
        DEPLOY.replace(
            "          readinessProbe:\n            httpGet:\n              path: /\n              port: http\n",
            &format!("          readinessProbe:\n            httpGet:\n              path: /\n              port: {port}\n"),
        )
    };
    kcase("PV123", &probe("8080"), &probe("80"));
    // Not when the container declares no ports.
    let bare = probe("8080").replace(
        "          ports:\n            - name: http\n              containerPort: 80\n",
        "",
    );
    assert!(!codes("k/app.yaml", &bare).iter().any(|c| c == "PV123"));
    // The fix says how to write the quantity.
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: DEPLOY.replace("memory: 64Mi", "memory: 64MB"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV104").expect("PV104");
    assert!(
        x.fix
            .as_deref()
            .is_some_and(|s| s.starts_with("write `64Mi`")),
        "{x:?}"
    );
    // Accepted forms: RBAC names with colons, empty port names, decimal quantities, templates.
    let rbac = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: system:psp:restricted\nrules: []\n";
    assert!(!codes("k/r.yaml", rbac).iter().any(|c| c == "PV104"));
    let ok = DEPLOY
        .replace("memory: 128Mi", "memory: 0.5Gi")
        .replace("cpu: 50m", "cpu: \"0.25\"")
        .replace(
            "  name: web\nspec:\n  replicas",
            "  name: \"{{ .Release.Name }}\"\nspec:\n  replicas",
        );
    let c = codes("k/app.yaml", &ok);
    assert!(!c.iter().any(|c| c == "PV104"), "{c:?}");
    // Custom resources are not judged by built-in rules.
    let crd = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: Big_Widget\nspec:\n  strategy:\n    type: Anything\n";
    assert!(!codes("k/w.yaml", crd)
        .iter()
        .any(|c| c == "PV104" || c == "PV103"));
}

#[test]
fn kubernetes_rules() {
    kcase(
        "PV002",
        &DEPLOY.replace("  replicas: 2", "  replicas: [2"),
        DEPLOY,
    );
    kcase(
        "PV100",
        &DEPLOY.replace("  replicas: 2", "  replica: 2"),
        DEPLOY,
    );
    kcase(
        "PV100",
        &DEPLOY.replace("  replicas: 2", "  replicas: \"2\""),
        DEPLOY,
    );
    kcase(
        "PV100",
        &DEPLOY.replace("containerPort: 80", "containerPort: eighty"),
        DEPLOY,
    );
    kcase(
        "PV101",
        &DEPLOY.replace("apiVersion: apps/v1", "apiVersion: extensions/v1beta1"),
        DEPLOY,
    );
    kcase(
        "PV102",
        &format!(
            "{DEPLOY}---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata:\n  name: p\n"
        ),
        DEPLOY,
    );
    // Other built-ins are schema-checked too; a kind without a kept schema is only an info.
    kcase("PV100", &format!("{DEPLOY}---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: s\nprovisioner: rbd.csi.ceph.com\nreclaimPolicy: Delete\nallowVolumeExpanson: true\n"), &format!("{DEPLOY}---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: s\nprovisioner: rbd.csi.ceph.com\nallowVolumeExpansion: true\n"));
    let list = format!("apiVersion: v1\nkind: List\nitems: []\n---\n{DEPLOY}");
    let c = codes("k/app.yaml", &list);
    assert!(
        c.contains(&"PV102".to_string()) && !c.contains(&"PV101".to_string()),
        "{c:?}"
    );
    kcase("PV110", &DEPLOY.replace("nginx:1.27", "nginx"), DEPLOY);
    kcase(
        "PV110",
        &DEPLOY.replace("nginx:1.27", "nginx:latest"),
        DEPLOY,
    );
    kcase(
        "PV111",
        &DEPLOY.replace("          resources:\n", "          resourcez:\n"),
        DEPLOY,
    );
    kcase(
        "PV112",
        &DEPLOY.replace("readinessProbe", "livenessProbe"),
        DEPLOY,
    );
    kcase(
        "PV113",
        &DEPLOY.replacen("      app: web", "      app: webx", 1),
        DEPLOY,
    );
    kcase(
        "PV114",
        &DEPLOY.replace("  selector:\n    app: web", "  selector:\n    app: api"),
        DEPLOY,
    );
    kcase("PV115", &DEPLOY.replace("10.0.0.241", "10.0.0.30"), DEPLOY);
    // One Service naming its address twice (annotation and the deprecated field) does not
    // collide with itself.
    let twice = DEPLOY.replace(
        "  type: LoadBalancer\n",
        "  type: LoadBalancer\n  loadBalancerIP: 10.0.0.241\n",
    );
    let c = codes("k/app.yaml", &twice);
    assert!(
        c.contains(&"PV116".to_string()) && !c.contains(&"PV115".to_string()),
        "{c:?}"
    );
    kcase(
        "PV116",
        &DEPLOY.replace("metallb.io/", "metallb.universe.tf/"),
        DEPLOY,
    );
    kcase(
        "PV117",
        &DEPLOY.replace("targetPort: http", "targetPort: web"),
        DEPLOY,
    );
    // A literal secret in env (initContainers too) or in a ConfigMap; a Secret reference and
    // a `$(VAR)` reference are fine, and the value never appears in the finding.
    let env = |e: &str| {
        DEPLOY.replace(
            "          resources:\n",
            &format!("          env:\n{e}          resources:\n"),
        )
    };
    kcase(
        "PV119",
        &env("            - name: DB_PASSWORD\n              value: hunter2\n"),
        &env("            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: db\n                  key: password\n            - name: API_TOKEN\n              value: $(TOKEN_FROM_FILE)\n            - name: LOG_LEVEL\n              value: debug\n"),
    );
    let init = DEPLOY.replace(
        "      containers:\n",
        "      initContainers:\n        - name: seed\n          image: busybox:1.36\n          env:\n            - name: api-token\n              value: s3cr3t-t0ken\n      containers:\n",
    );
    kcase("PV119", &init, DEPLOY);
    let found = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: init.clone(),
        }],
        None,
    );
    assert!(
        found.iter().any(|f| f.code == "PV119") && !render_text(&found).contains("s3cr3t"),
        "{}",
        render_text(&found)
    );
    let cm = |k: &str| {
        format!("{DEPLOY}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  {k}: \"abc123\"\n")
    };
    kcase("PV119", &cm("smtp_password"), &cm("smtp_host"));
    // Requests above limits (quantities in any unit); equal is fine.
    kcase(
        "PV120",
        &DEPLOY.replace("memory: 64Mi", "memory: 1Gi"),
        &DEPLOY.replace("memory: 64Mi", "memory: \"134217728\""),
    );
    let cpu = |req: &str, lim: &str| {
        DEPLOY.replace("cpu: 50m", &format!("cpu: {req}")).replace(
            "memory: 128Mi",
            &format!("memory: 128Mi\n              cpu: {lim}"),
        )
    };
    kcase("PV120", &cpu("\"1.5\"", "1000m"), &cpu("\"1.5\"", "2"));
    kcase("PV120", &cpu("2", "1e0"), &cpu("500m", "1e0"));
    kcase(
        "PV121",
        &DEPLOY.replace(
            "          resources:\n",
            "          securityContext:\n            privileged: true\n          resources:\n",
        ),
        &DEPLOY.replace(
            "          resources:\n",
            "          securityContext:\n            privileged: false\n          resources:\n",
        ),
    );
    // A numeric targetPort (or a port without targetPort) the selected pods do not declare.
    kcase(
        "PV122",
        &DEPLOY.replace("targetPort: http", "targetPort: 8080"),
        &DEPLOY.replace("targetPort: http", "targetPort: 80"),
    );
    kcase(
        "PV122",
        &DEPLOY.replace("    - port: 80\n      targetPort: http", "    - port: 8080"),
        &DEPLOY.replace("    - port: 80\n      targetPort: http", "    - port: 80"),
    );
    kcase(
        "PV118",
        &DEPLOY.replace("  name: web\n", "  name: web\n  namespace: shop\n"),
        &format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n{}",
            DEPLOY.replace("  name: web\n", "  name: web\n  namespace: shop\n")
        ),
    );
}

/// PV127: Ingress backends against the Services these manifests define.
#[test]
fn kubernetes_ingress_backends() {
    let ing = |backend: &str, ns: &str| {
        format!("{DEPLOY}---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  rules:\n    - host: web.example.internal\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n{backend}")
    };
    let by_number = |name: &str, port: u32| {
        format!("                name: {name}\n                port:\n                  number: {port}\n")
    };
    let by_name = |name: &str, port: &str| {
        format!(
            "                name: {name}\n                port:\n                  name: {port}\n"
        )
    };
    // The Service `web` (namespace default) exposes port 80 (unnamed), targetPort http.
    kcase(
        "PV127",
        &ing(&by_number("web", 8080), "default"),
        &ing(&by_number("web", 80), "default"),
    );
    kcase(
        "PV127",
        &ing(&by_name("web", "http"), "default"),
        &ing(&by_number("web", 80), "default"),
    );
    kcase(
        "PV127",
        &ing(&by_number("web", 80), "apps"),
        &ing(&by_number("web", 80), "default"),
    );
    kcase(
        "PV127",
        &ing(&by_number("wbe", 80), "default"),
        &ing(&by_number("web", 80), "default"),
    );
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: ing(&by_number("wbe", 80), "default"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV127").expect("PV127");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert_eq!(x.fix.as_deref(), Some("did you mean `web`?"), "{x:?}");
    // A Service without ports (ExternalName) gives nothing to compare.
    let ext = format!(
        "{}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: ext\nspec:\n  type: ExternalName\n  externalName: web.example.org\n",
        ing(&by_number("ext", 443), "default")
    );
    let g = codes("k/app.yaml", &ext);
    assert!(!g.iter().any(|c| c == "PV127"), "{g:?}");
    // No Service in the Ingress's namespace at all: not judged (it may exist in the cluster).
    let alone = format!("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  defaultBackend:\n    service:\n      name: other\n      port:\n        number: 80\n");
    let g = codes("k/app.yaml", &alone);
    assert!(!g.iter().any(|c| c == "PV127"), "{g:?}");
}

/// PV104: CronJob schedules the API server refuses.
#[test]
fn kubernetes_cron_schedules() {
    let cj = |sched: &str| {
        format!("apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: backup\nspec:\n  schedule: \"{sched}\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n            - name: backup\n              image: busybox:1.36\n              command: [\"true\"]\n")
    };
    for (bad, good) in [
        ("*/5 * * *", "*/5 * * * *"),
        ("0 */5 * * * *", "0 */5 * * *"),
        ("0 24 * * *", "0 23 * * *"),
        ("60 3 * * *", "59 3 * * *"),
        ("0 3 * 13 *", "0 3 * DEC *"),
        ("0 3 * * 8", "0 3 * * 1-5"),
        ("*/0 * * * *", "*/15 * * * *"),
        ("TZ=Europe/Berlin 0 3 * * *", "0 3 1,15 * *"),
        ("@fortnightly", "@daily"),
        ("@every 5 minutes", "@every 1h30m"),
    ] {
        let b = codes("k/cron.yaml", &cj(bad));
        assert!(b.iter().any(|c| c == "PV104"), "{bad}: {b:?}");
        let g = codes("k/cron.yaml", &cj(good));
        assert!(!g.iter().any(|c| c == "PV104"), "{good}: {g:?}");
    }
}

/// PV128: HorizontalPodAutoscalers against the workloads they scale; PV104 min > max.
#[test]
fn kubernetes_hpa_targets() {
    let hpa = |target: &str, metric: &str, ns: &str| {
        format!("{DEPLOY}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: {target}\n  minReplicas: 2\n  maxReplicas: 5\n  metrics:\n    - type: Resource\n      resource:\n        name: {metric}\n        target:\n          type: Utilization\n          averageUtilization: 70\n")
    };
    // DEPLOY's container requests cpu and memory; drop the cpu request for the bad case.
    let no_cpu = |t: String| t.replacen("              cpu: 50m\n", "", 1);
    kcase(
        "PV128",
        &no_cpu(hpa("web", "cpu", "default")),
        &hpa("web", "cpu", "default"),
    );
    kcase(
        "PV128",
        &hpa("web", "cpu", "apps"),
        &hpa("web", "cpu", "default"),
    );
    kcase(
        "PV128",
        &hpa("wbe", "cpu", "default"),
        &hpa("web", "memory", "default"),
    );
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: hpa("wbe", "cpu", "default"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV128").expect("PV128");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    // An AverageValue target needs no request.
    let avg = no_cpu(hpa("web", "cpu", "default")).replace(
        "type: Utilization\n          averageUtilization: 70",
        "type: AverageValue\n          averageValue: 200m",
    );
    let g = codes("k/app.yaml", &avg);
    assert!(!g.iter().any(|c| c == "PV128"), "{g:?}");
    // minReplicas above maxReplicas.
    kcase(
        "PV104",
        &hpa("web", "cpu", "default").replace("minReplicas: 2", "minReplicas: 6"),
        &hpa("web", "cpu", "default"),
    );
}

/// PV129: PodDisruptionBudgets that protect nothing or block every eviction.
#[test]
fn kubernetes_disruption_budgets() {
    // DEPLOY runs 2 replicas labelled app=web.
    let pdb = |spec: &str, app: &str| {
        format!("{DEPLOY}---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n{spec}  selector:\n    matchLabels:\n      app: {app}\n")
    };
    kcase(
        "PV129",
        &pdb("  minAvailable: 2\n", "web"),
        &pdb("  minAvailable: 1\n", "web"),
    );
    kcase(
        "PV129",
        &pdb("  minAvailable: 100%\n", "web"),
        &pdb("  minAvailable: 50%\n", "web"),
    );
    kcase(
        "PV129",
        &pdb("  maxUnavailable: 0\n", "web"),
        &pdb("  maxUnavailable: 1\n", "web"),
    );
    kcase(
        "PV129",
        &pdb("  minAvailable: 1\n", "wbe"),
        &pdb("  minAvailable: 1\n", "web"),
    );
    // Three replicas leave room for minAvailable 2.
    let g = codes(
        "k/app.yaml",
        &pdb("  minAvailable: 2\n", "web").replacen("replicas: 2", "replicas: 3", 1),
    );
    assert!(!g.iter().any(|c| c == "PV129"), "{g:?}");
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: pdb("  minAvailable: 2\n", "web"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV129").expect("PV129");
    assert!(
        x.message.contains("minAvailable 2 of the 2 pod(s)"),
        "{x:?}"
    );
}

/// PV105: several Deployment replicas on one ReadWriteOnce claim.
#[test]
fn kubernetes_rwo_claim_shared_by_replicas() {
    let with_pvc = |replicas: u32, mode: &str| {
        let deploy = DEPLOY
            .replacen("replicas: 2", &format!("replicas: {replicas}"), 1)
            .replacen(
                "      containers:\n",
                "      volumes:\n        - name: data\n          persistentVolumeClaim:\n            claimName: web-data\n      containers:\n",
                1,
            );
        format!("{deploy}---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: web-data\nspec:\n  accessModes: [\"{mode}\"]\n  resources:\n    requests:\n      storage: 1Gi\n")
    };
    kcase(
        "PV105",
        &with_pvc(2, "ReadWriteOnce"),
        &with_pvc(1, "ReadWriteOnce"),
    );
    kcase(
        "PV105",
        &with_pvc(3, "ReadWriteOncePod"),
        &with_pvc(3, "ReadWriteMany"),
    );
    let f = lint(
        &[Input {
            path: "k/app.yaml".into(),
            content: with_pvc(2, "ReadWriteOnce"),
        }],
        None,
    );
    let x = f.iter().find(|f| f.code == "PV105").expect("PV105");
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert!(x.message.contains("Multi-Attach"), "{x:?}");
}

/// MetalLB's resources: what its controller refuses (PV140), pools that take
/// addresses the site has given out (PV141), and configuration that does nothing (PV142).
#[test]
fn kubernetes_metallb_resources() {
    let pool = |ns: &str, addrs: &str| {
        format!("apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: lab-pool\n  namespace: {ns}\nspec:\n  addresses:\n{addrs}")
    };
    const L2: &str = "---\napiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata:\n  name: lab-l2\n  namespace: metallb-system\nspec:\n  ipAddressPools:\n    - lab-pool\n";
    let good = format!(
        "{}{L2}",
        pool("metallb-system", "    - 10.0.0.240-10.0.0.250\n")
    );
    let with = |addrs: &str| format!("{}{L2}", pool("metallb-system", addrs));
    let g = codes("k/metallb.yaml", &good);
    assert!(
        !g.iter().any(|c| c.starts_with("PV14") || c == "PV102"),
        "{g:?}"
    );
    // PV140: entries MetalLB refuses; overlapping entries; a pool without addresses.
    for bad in [
        "    - 10.0.0.245\n",
        "    - 10.0.0.250-10.0.0.240\n",
        "    - 10.0.0.240/33\n",
        "    - 10.0.0.240-fc00::1\n",
        "    - 10.0.0.240/29\n    - 10.0.0.244-10.0.0.250\n",
    ] {
        kcase("PV140", &with(bad), &good);
    }
    kcase(
        "PV140",
        &good.replace(
            "  addresses:\n    - 10.0.0.240-10.0.0.250\n",
            "  addresses: []\n",
        ),
        &good,
    );
    kcase(
        "PV140",
        &good.replace("    - lab-pool\n", "    - lab-pool\n    - lab-pool\n"),
        &good,
    );
    // IPv6 entries and CIDRs are read, not judged against the IPv4 site facts.
    let dual = with("    - 10.0.0.240/29\n    - fc00:f853:ccd:e799::/124\n");
    let d = codes("k/metallb.yaml", &dual);
    assert!(!d.iter().any(|c| c.starts_with("PV14")), "{d:?}");
    // PV141: the k3s VIP, a reserved gateway, an address in use.
    for bad in [
        "    - 10.0.0.5-10.0.0.20\n",
        "    - 10.0.0.0/28\n",
        "    - 10.0.0.48/30\n",
    ] {
        kcase("PV141", &with(bad), &good);
    }
    // PV142: a typo'd pool name, a pool nobody announces, a namespace MetalLB does not read, a
    // range outside the site's MetalLB ranges, the pre-0.13 forms.
    kcase(
        "PV142",
        &good.replace("    - lab-pool\n", "    - lab-pol\n"),
        &good,
    );
    kcase(
        "PV142",
        &pool("metallb-system", "    - 10.0.0.240-10.0.0.250\n"),
        &good,
    );
    kcase(
        "PV142",
        &good.replace(
            "  namespace: metallb-system\nspec:\n  addresses",
            "  namespace: default\nspec:\n  addresses",
        ),
        &good,
    );
    kcase("PV142", &with("    - 10.0.0.200-10.0.0.210\n"), &good);
    kcase(
        "PV142",
        &good.replace("kind: IPAddressPool", "kind: AddressPool"),
        &good,
    );
    let legacy = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\n  namespace: metallb-system\ndata:\n  config: |\n    address-pools:\n    - name: default\n      protocol: layer2\n      addresses:\n      - 10.0.0.240-10.0.0.250\n";
    kcase("PV142", legacy, &good);
    // An advertisement that selects every pool (no list) or selects by label announces them.
    let all = good.replace("spec:\n  ipAddressPools:\n    - lab-pool\n", "");
    let a = codes("k/metallb.yaml", &all);
    assert!(!a.iter().any(|c| c.starts_with("PV14")), "{a:?}");
    // PV100: unknown spec fields, with the near miss as the fix.
    kcase("PV100", &good.replace("  addresses:", "  adresses:"), &good);
    let f = lint(
        &[Input {
            path: "k/metallb.yaml".into(),
            content: good.replace("  addresses:", "  adresses:"),
        }],
        Some(&facts()),
    );
    let x = f.iter().find(|f| f.code == "PV100").expect("PV100");
    assert!(
        x.fix.as_deref().unwrap_or("").contains("`addresses`"),
        "{x:?}"
    );
    // PV115 without site facts: a Service's IP against the pools these manifests define, and
    // PV142 for a pool name that is not defined.
    let svc = |ann: &str| {
        format!("{good}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: apps\n  annotations:\n    {ann}\nspec:\n  type: LoadBalancer\n  selector:\n    app: web\n  ports:\n    - port: 80\n")
    };
    let bare = |text: &str| -> Vec<String> {
        lint(
            &[Input {
                path: "k/app.yaml".into(),
                content: text.into(),
            }],
            None,
        )
        .into_iter()
        .map(|f| f.code)
        .collect()
    };
    assert!(bare(&svc("metallb.io/loadBalancerIPs: 10.0.0.30")).contains(&"PV115".to_string()));
    assert!(!bare(&svc("metallb.io/loadBalancerIPs: 10.0.0.245")).contains(&"PV115".to_string()));
    assert!(bare(&svc("metallb.io/address-pool: lab-pol")).contains(&"PV142".to_string()));
    assert!(!bare(&svc("metallb.io/address-pool: lab-pool")).contains(&"PV142".to_string()));
}

/// PV106: a quantity without its suffix: `memory: 64` is 64 bytes, `cpu: 500` 500 CPUs.
#[test]
fn kubernetes_quantity_without_its_unit() {
    let with = |from: &str, to: &str| {
        assert!(DEPLOY.contains(from), "{from}");
        DEPLOY.replacen(from, to, 1)
    };
    kcase(
        "PV106",
        &with("memory: 64Mi", "memory: 64"),
        &with("memory: 64Mi", "memory: 67108864"),
    );
    kcase(
        "PV106",
        &with("memory: 128Mi", "memory: \"128\""),
        &with("memory: 128Mi", "memory: 128M"),
    );
    kcase(
        "PV106",
        &with("cpu: 50m", "cpu: 500"),
        &with("cpu: 50m", "cpu: 2"),
    );
    kcase(
        "PV106",
        &with("cpu: 50m", "cpu: 250"),
        &with("cpu: 50m", "cpu: \"0.25\""),
    );
    // An exponent or a suffix is the author's chosen unit.
    kcase(
        "PV106",
        &with("memory: 64Mi", "memory: 512"),
        &with("memory: 64Mi", "memory: 64e6"),
    );
    let x = kfind("PV106", "k/app.yaml", &with("cpu: 50m", "cpu: 500"));
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert_eq!(x.fix.as_deref(), Some("cpu: 500m"), "{x:?}");
    assert!(x.message.contains("requests.cpu"), "{x:?}");
}

/// PV104: a Secret's `data` (and a ConfigMap's `binaryData`) must be base64.
#[test]
fn kubernetes_secret_data_not_base64() {
    let secret = |field: &str, v: &str| {
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\n{field}:\n  username: {v}\n")
    };
    kcase(
        "PV104",
        &secret("data", "admin"),
        &secret("stringData", "admin"),
    );
    kcase(
        "PV104",
        &secret("data", "YWRtaW4"),
        &secret("data", "YWRtaW4="),
    );
    kcase(
        "PV104",
        &secret("data", "\"YWRt aW4=\""),
        &secret("data", "|\n    YWRt\n    aW4=\n"),
    );
    let cm = |v: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: blob\nbinaryData:\n  logo.png: {v}\n")
    };
    kcase("PV104", &cm("not-base64!"), &cm("iVBORw0KGgo="));
    let x = kfind("PV104", "k/app.yaml", &secret("data", "admin"));
    assert!(x.message.contains("data.username"), "{x:?}");
    assert!(
        !x.message.contains("admin"),
        "the value is not echoed: {x:?}"
    );
    assert!(
        x.fix.as_deref().unwrap_or("").contains("stringData"),
        "{x:?}"
    );
}

/// PV104: a Job's pods must end (`OnFailure`/`Never`, written out: the default `Always` is
/// refused); a Deployment's restart (`Always` only).
#[test]
fn kubernetes_restart_policy_per_controller() {
    let job = |policy: &str| {
        format!("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\nspec:\n  template:\n    spec:\n{policy}      containers:\n        - name: once\n          image: busybox:1.36\n")
    };
    kcase("PV104", &job(""), &job("      restartPolicy: Never\n"));
    kcase(
        "PV104",
        &job("      restartPolicy: Always\n"),
        &job("      restartPolicy: OnFailure\n"),
    );
    let cron = |policy: &str| {
        format!("apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n{policy}          containers:\n            - name: backup\n              image: busybox:1.36\n")
    };
    kcase(
        "PV104",
        &cron(""),
        &cron("          restartPolicy: OnFailure\n"),
    );
    let deploy = DEPLOY.replacen(
        "      containers:\n",
        "      restartPolicy: Never\n      containers:\n",
        1,
    );
    let always = DEPLOY.replacen(
        "      containers:\n",
        "      restartPolicy: Always\n      containers:\n",
        1,
    );
    kcase("PV104", &deploy, &always);
    let x = kfind("PV104", "k/job.yaml", &job(""));
    assert_eq!(
        x.fix.as_deref(),
        Some("add `restartPolicy: OnFailure` to the pod template's spec"),
        "{x:?}"
    );
}

/// PV104: Service fields its type does not allow, probes with two handlers, tolerations the
/// API server refuses.
#[test]
fn kubernetes_service_probe_toleration_shapes() {
    let svc = |spec: &str| {
        format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n{spec}  selector:\n    app: db\n  ports:\n    - port: 5432\n      nodePort: 30432\n")
    };
    kcase("PV104", &svc(""), &svc("  type: NodePort\n"));
    kcase(
        "PV104",
        &svc("  type: ClusterIP\n"),
        &svc("  type: LoadBalancer\n"),
    );
    let headless = |ty: &str| {
        format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n  type: {ty}\n  clusterIP: None\n  selector:\n    app: db\n  ports:\n    - port: 5432\n")
    };
    kcase("PV104", &headless("LoadBalancer"), &headless("ClusterIP"));
    kcase("PV104", &headless("NodePort"), &headless("ClusterIP"));

    let probe = DEPLOY.replacen(
        "            httpGet:\n",
        "            tcpSocket:\n              port: 80\n            httpGet:\n",
        1,
    );
    assert_ne!(probe, DEPLOY);
    kcase("PV104", &probe, DEPLOY);
    let hook = |h: &str| {
        DEPLOY.replacen(
            "          readinessProbe:\n",
            &format!("          lifecycle:\n            preStop:\n{h}          readinessProbe:\n"),
            1,
        )
    };
    kcase(
        "PV104",
        &hook("              exec:\n                command: [\"sleep\", \"5\"]\n              sleep:\n                seconds: 5\n"),
        &hook("              sleep:\n                seconds: 5\n"),
    );

    let tol = |t: &str| {
        DEPLOY.replacen(
            "      containers:\n",
            &format!("      tolerations:\n        - {t}\n      containers:\n"),
            1,
        )
    };
    kcase(
        "PV104",
        &tol("{key: node-role.kubernetes.io/control-plane, operator: Exists, value: \"true\", effect: NoSchedule}"),
        &tol("{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}"),
    );
    kcase(
        "PV104",
        &tol("{effect: NoSchedule}"),
        &tol("{operator: Exists}"),
    );
    kcase(
        "PV104",
        &tol("{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoSchedule, tolerationSeconds: 30}"),
        &tol("{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30}"),
    );
}

/// PV107: a StatefulSet's governing Service must exist among the manifests' Services and be
/// headless.
#[test]
fn kubernetes_statefulset_governing_service() {
    let sts = |service_name: &str, cluster_ip: &str| {
        format!("apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: {service_name}\n  replicas: 1\n  selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        app: db\n    spec:\n      containers:\n        - name: db\n          image: postgres:16\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n{cluster_ip}  selector:\n    app: db\n  ports:\n    - port: 5432\n")
    };
    kcase("PV107", &sts("db", ""), &sts("db", "  clusterIP: None\n"));
    kcase(
        "PV107",
        &sts("db-headless", "  clusterIP: None\n"),
        &sts("db", "  clusterIP: None\n"),
    );
    let x = kfind("PV107", "k/app.yaml", &sts("db", ""));
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert!(
        x.fix.as_deref().unwrap_or("").contains("clusterIP: None"),
        "{x:?}"
    );
    // A governing Service defined elsewhere (no Service in these manifests) is not judged.
    let alone = sts("db", "").split("---").next().unwrap_or("").to_string();
    assert!(!codes("k/app.yaml", &alone).iter().any(|c| c == "PV107"));
}

/// PV108: k3s's local-path provisioner gives node-local volumes: ReadWriteOnce(Pod) only.
#[test]
fn kubernetes_local_path_access_modes() {
    let pvc = |class: &str, mode: &str| {
        format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  storageClassName: {class}\n  accessModes:\n    - {mode}\n  resources:\n    requests:\n      storage: 1Gi\n")
    };
    kcase(
        "PV108",
        &pvc("local-path", "ReadWriteMany"),
        &pvc("local-path", "ReadWriteOnce"),
    );
    kcase(
        "PV108",
        &pvc("local-path", "ReadOnlyMany"),
        &pvc("longhorn", "ReadWriteMany"),
    );
    let sts = |mode: &str| {
        format!("apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db\n  selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        app: db\n    spec:\n      containers:\n        - name: db\n          image: postgres:16\n  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n        storageClassName: local-path\n        accessModes: [\"{mode}\"]\n        resources:\n          requests:\n            storage: 1Gi\n")
    };
    kcase("PV108", &sts("ReadWriteMany"), &sts("ReadWriteOncePod"));
    let x = kfind("PV108", "k/app.yaml", &pvc("local-path", "ReadWriteMany"));
    assert_eq!(x.severity.as_str(), "warning", "{x:?}");
    assert!(x.message.contains("Pending"), "{x:?}");
}

/// PV002 on the line of the slip: a tab in the indentation, a key without its `:`; fixes that
/// say what to change.
#[test]
fn yaml_syntax_errors_point_at_their_cause() {
    let first = |text: &str| {
        lint(
            &[Input {
                path: "k/app.yaml".into(),
                content: text.into(),
            }],
            None,
        )
        .into_iter()
        .find(|f| f.code == "PV002")
        .unwrap_or_else(|| panic!("no PV002 on:\n{text}"))
    };
    assert!(!codes("k/app.yaml", DEPLOY).iter().any(|c| c == "PV002"));
    let line_of = |text: &str, needle: &str| {
        text.lines().position(|l| l.contains(needle)).expect(needle) as u32 + 1
    };
    let tab = DEPLOY.replacen("  replicas: 2\n", "\treplicas: 2\n", 1);
    let f = first(&tab);
    assert_eq!(f.line, line_of(&tab, "\treplicas"), "{f:?}");
    assert!(f.fix.as_deref().unwrap_or("").contains("spaces"), "{f:?}");

    let colon = DEPLOY.replacen("  replicas: 2\n", "  replicas 2\n", 1);
    let f = first(&colon);
    assert_eq!(f.line, line_of(&colon, "replicas 2"), "{f:?}");
    assert_eq!(f.fix.as_deref(), Some("write `replicas: 2`"), "{f:?}");

    let indent = DEPLOY.replacen("  selector:\n", "   selector:\n", 1);
    let f = first(&indent);
    assert_eq!(f.line, line_of(&indent, "   selector:"), "{f:?}");
    assert!(
        f.fix.as_deref().unwrap_or("").contains("indented 3 spaces"),
        "{f:?}"
    );
}
