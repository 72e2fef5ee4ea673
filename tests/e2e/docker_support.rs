//! Docker plumbing for the end-to-end docker tests: whether an engine is there
//! (missing in CI fails loudly, elsewhere a loud NOT TESTED banner), the locally
//! built stand-in image tagged `redis:7` (no registry is reachable), the
//! containers the driver labelled with an allocation, a guard that removes them
//! if a test fails half-way, and reads of the agent's allocation API.

use std::cell::RefCell;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use super::dev_agent::DevAgent;

/// Tags of the stand-in image: Nomad's example job asks for `redis:7`; the
/// other tests name it by the project's own tag.
pub const REDIS_IMAGE: &str = "redis:7";
pub const TEST_IMAGE: &str = "nomad-test-redis:latest";

/// The label the docker driver puts the allocation ID under (Nomad's).
const ALLOC_LABEL: &str = "com.hashicorp.nomad.alloc_id";

/// True when the engine answers and the image can be built; otherwise fails
/// under `CI=true` and prints a loud NOT TESTED banner elsewhere.
pub fn docker_ready(test: &str) -> bool {
    let engine = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output();
    let problem = match engine {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "the Docker Engine does not answer: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("the docker CLI cannot run: {e}")),
    }
    .or_else(|| {
        (!Path::new("/bin/busybox").is_file())
            .then(|| "/bin/busybox is missing (apt-get install busybox-static)".to_owned())
    });
    let Some(problem) = problem else {
        build_image();
        return true;
    };
    let msg = format!("{test}: {problem}; the docker driver is NOT TESTED end to end here");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but {msg}");
    }
    eprintln!("\n!!!!!!!! NOT TESTED: {msg} !!!!!!!!\n");
    false
}

/// Builds the stand-in image once per test process.
fn build_image() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/docker_images/redis");
        let ctx = tempfile::tempdir().map_err(|e| e.to_string())?;
        std::fs::copy(src.join("Dockerfile"), ctx.path().join("Dockerfile"))
            .map_err(|e| format!("copy Dockerfile: {e}"))?;
        std::fs::copy("/bin/busybox", ctx.path().join("busybox"))
            .map_err(|e| format!("copy /bin/busybox: {e}"))?;
        let out = Command::new("docker")
            .args(["build", "-q", "-t", REDIS_IMAGE, "-t", TEST_IMAGE, "."])
            .current_dir(ctx.path())
            // The engine may predate BuildKit; the classic builder is enough here.
            .env("DOCKER_BUILDKIT", "0")
            .output()
            .map_err(|e| format!("run docker build: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    });
    if let Err(e) = built {
        panic!("building the {REDIS_IMAGE} stand-in failed: {e}");
    }
}

/// IDs of the containers (any state) the driver labelled with `alloc_id`.
pub fn containers_of(alloc_id: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "-a", "-q", "--no-trunc", "--filter"])
        .arg(format!("label={ALLOC_LABEL}={alloc_id}"))
        .output()
        .expect("run docker ps");
    assert!(
        out.status.success(),
        "docker ps failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Removes the containers of every allocation it was told about when dropped,
/// so a failed test does not leave containers on a shared engine.
#[derive(Default)]
pub struct ContainerSweep {
    allocs: RefCell<Vec<String>>,
}

impl ContainerSweep {
    pub fn track(&self, alloc_id: &str) {
        self.allocs.borrow_mut().push(alloc_id.to_owned());
    }
}

impl Drop for ContainerSweep {
    fn drop(&mut self) {
        for alloc in self.allocs.borrow().iter() {
            for id in containers_of(alloc) {
                // Best effort: the test's own assertions already reported any leak.
                let _ = Command::new("docker").args(["rm", "-f", &id]).output();
            }
        }
    }
}

/// `GET {agent}/v1{path}` as JSON.
pub fn api_get(agent: &DevAgent, path: &str) -> serde_json::Value {
    let url = format!("{}/v1{path}", agent.address);
    let body = ureq::get(&url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .into_body()
        .read_to_string()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url}: {e}: {body}"))
}

/// Full IDs of the job's allocations.
pub fn alloc_ids(agent: &DevAgent, job: &str) -> Vec<String> {
    api_get(agent, &format!("/job/{job}/allocations"))
        .as_array()
        .map(|allocs| {
            allocs
                .iter()
                .filter_map(|a| a["ID"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
