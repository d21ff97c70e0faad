//! `nix2dream up`, driven as a user would: deployments in files, the real
//! binary, signals from outside, and /proc checked for leftovers.

mod support;

use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};
use support::{assert_nothing_left, scratch, write, Running};

const LONG: Duration = Duration::from_secs(30);

#[test]
fn a_service_killed_with_sigkill_comes_back_after_its_backoff() {
    let dir = scratch("up-restart");
    let pid_file = dir.join("pid");
    let deployment = write(
        &dir,
        "restart.nix",
        &format!(
            r#"{{
              services.flaky = {{
                process.argv = [ "bash" "-c" "echo $$ > {pid}; echo flaky running; exec sleep 300" ];
                restart = {{ policy = "on-failure"; delay = "1s"; }};
              }};
            }}"#,
            pid = pid_file.display()
        ),
    );
    let mut up = Running::up(&[deployment.to_str().unwrap()], &dir.join("state"), "up-restart");
    up.wait_for("flaky running", LONG);
    let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    let killed = Instant::now();
    // SAFETY: kill has no memory effects.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    up.wait_for("flaky exited (killed by SIGKILL); restarting in 1s", LONG);
    let restarted = up.wait_for("(restart 1)", LONG);
    assert!(restarted - killed >= Duration::from_millis(900), "restarted after {:?}", restarted - killed);
    // The new run is a new process.
    let deadline = Instant::now() + LONG;
    while std::fs::read_to_string(&pid_file).unwrap().trim() == pid.to_string() {
        assert!(Instant::now() < deadline, "the service did not run again");
        std::thread::sleep(Duration::from_millis(20));
    }
    up.signal(libc::SIGINT);
    assert_eq!(up.wait_exit(LONG), Some(0), "{}", up.text());
    assert!(up.text().contains("flaky: stopped"), "{}", up.text());
}

#[test]
fn a_failing_health_check_holds_back_its_dependents_and_is_reported() {
    let dir = scratch("up-unhealthy");
    let deployment = write(
        &dir,
        "unhealthy.nix",
        r#"{
          services.db = {
            process.argv = [ "sleep" "300" ];
            healthCheck = { command = "echo not ready >&2; exit 1"; interval = "200ms"; retries = 2; };
          };
          services.app = {
            process.argv = [ "bash" "-c" "echo app ran" ];
            dependsOn = [ "db" ];
          };
        }"#,
    );
    let mut up = Running::up(&[deployment.to_str().unwrap()], &dir.join("state"), "up-unhealthy");
    up.wait_for("app waits for db (healthy)", LONG);
    up.wait_for(
        "db is unhealthy: the health check failed 2 times in a row (last: exit status 1: not ready); holding back app",
        LONG,
    );
    std::thread::sleep(Duration::from_secs(1));
    assert!(!up.text().contains("app started"), "{}", up.text());
    up.signal(libc::SIGINT);
    assert_eq!(up.wait_exit(LONG), Some(0), "{}", up.text());
    assert!(up.text().contains("app: not started"), "{}", up.text());
    assert!(!up.text().contains("app ran"), "{}", up.text());
}

#[test]
fn a_dependency_on_completed_successfully_waits_for_the_job_to_exit_0() {
    let dir = scratch("up-job");
    let result = dir.join("job.out");
    let deployment = write(
        &dir,
        "job.nix",
        &format!(
            r#"{{
              services.job.process.argv = [ "bash" "-c" "sleep 1; echo written by the job > {out}" ];
              services.app = {{
                process.argv = [ "cat" "{out}" ];
                dependsOn.job.condition = "completed-successfully";
              }};
            }}"#,
            out = result.display()
        ),
    );
    let mut up = Running::up(&[deployment.to_str().unwrap()], &dir.join("state"), "up-job");
    // Everything ends by itself: up exits once the app has run.
    assert_eq!(up.wait_exit(LONG), Some(0), "{}", up.text());
    let text = up.text();
    let completed = text.find("job completed successfully").expect("the job completed");
    let started = text.find("app started").expect("the app started");
    assert!(completed < started, "{}", text);
    assert!(text.contains("app | written by the job"), "{}", text);
}

#[test]
fn a_failed_job_keeps_its_dependents_from_starting_and_up_fails() {
    let dir = scratch("up-failed-job");
    let deployment = write(
        &dir,
        "failed.nix",
        r#"{
          services.job.process.argv = [ "bash" "-c" "exit 3" ];
          services.app = {
            process.argv = [ "echo" "app ran" ];
            dependsOn.job.condition = "completed-successfully";
          };
        }"#,
    );
    let mut up = Running::up(&[deployment.to_str().unwrap()], &dir.join("state"), "up-failed-job");
    assert_eq!(up.wait_exit(LONG), Some(1), "{}", up.text());
    let text = up.text();
    assert!(text.contains("job failed (exit status 3)"), "{}", text);
    assert!(text.contains("app will not start: job failed: exit status 3"), "{}", text);
    assert!(!text.contains("app ran"), "{}", text);
}

#[test]
fn the_grace_period_is_honoured_before_sigkill() {
    let dir = scratch("up-grace");
    let deployment = write(
        &dir,
        "grace.nix",
        r#"{
          services.stubborn = {
            process.argv = [ "python3" "-c" ''
              import signal, time
              signal.signal(signal.SIGTERM, signal.SIG_IGN)
              print("stubborn: ignoring SIGTERM", flush=True)
              time.sleep(300)
            '' ];
            stopGracePeriod = "1500ms";
          };
          services.polite = {
            process.argv = [ "python3" "-c" ''
              import signal, sys, time
              def stop(*_):
                  time.sleep(0.5)
                  print("polite: bye", flush=True)
                  sys.exit(0)
              signal.signal(signal.SIGTERM, stop)
              print("polite: ready", flush=True)
              time.sleep(300)
            '' ];
            stopGracePeriod = "5s";
          };
        }"#,
    );
    let mut up = Running::up(&[deployment.to_str().unwrap()], &dir.join("state"), "up-grace");
    up.wait_for("stubborn: ignoring SIGTERM", LONG);
    up.wait_for("polite: ready", LONG);
    let asked = Instant::now();
    up.signal(libc::SIGINT);
    let killed = up.wait_for("stubborn did not stop within 1.5s; sending SIGKILL", LONG);
    assert!(killed - asked >= Duration::from_millis(1400), "SIGKILL after {:?}", killed - asked);
    // Killing after the grace period is not ending well.
    assert_eq!(up.wait_exit(LONG), Some(1), "{}", up.text());
    let text = up.text();
    assert!(text.contains("stubborn stopped (killed by SIGKILL)"), "{}", text);
    assert!(text.contains("polite: bye"), "{}", text);
    assert!(text.contains("polite stopped (exit status 0)"), "{}", text);
    assert!(!text.contains("polite did not stop"), "{}", text);
}

#[test]
fn ctrl_c_stops_the_web_example_and_leaves_no_process() {
    let dir = scratch("up-web");
    let example = support::repo().join("examples/web");
    let mut up = Running::up(&[example.to_str().unwrap()], &dir.join("state"), "up-web");
    up.wait_for("worker: poll 1: the site says ok", LONG);
    // The site answers HTTP on the port it was given.
    let text = up.text();
    let port: u16 = text
        .split("Serving HTTP on 127.0.0.1 port ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .expect("the site announces its port");
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(b"GET /index.html HTTP/1.0\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.0 200"), "{}", response);
    assert!(response.contains("<h1>nix2dream</h1>"), "{}", response);
    up.signal(libc::SIGINT);
    assert_eq!(up.wait_exit(LONG), Some(0), "{}", up.text());
    assert_nothing_left("up-web", Duration::from_secs(5));
}

/// A service whose process starts a background child and a daemon in a
/// new session: a process group alone would not catch the daemon.
const FAMILY: &str = r#"{
  services.family.process.argv = [ "bash" "-c" "sleep 300 & setsid sleep 301 & echo family: ready; wait" ];
}"#;

#[test]
fn ctrl_c_also_stops_what_a_service_started() {
    let dir = scratch("up-family");
    let deployment = write(&dir, "family.nix", FAMILY);
    let mut up = Running::up(&[deployment.to_str().unwrap()], &dir.join("state"), "up-family");
    up.wait_for("family: ready", LONG);
    up.signal(libc::SIGINT);
    assert_eq!(up.wait_exit(LONG), Some(0), "{}", up.text());
    assert_nothing_left("up-family", Duration::from_secs(5));
}

#[test]
fn killing_up_with_sigkill_leaves_no_process() {
    let dir = scratch("up-sigkill");
    let deployment = write(&dir, "family.nix", FAMILY);
    let mut up = Running::up(&[deployment.to_str().unwrap()], &dir.join("state"), "up-sigkill");
    up.wait_for("family: ready", LONG);
    up.signal(libc::SIGKILL);
    assert_eq!(up.wait_exit(LONG), None);
    assert_nothing_left("up-sigkill", Duration::from_secs(5));
}

#[test]
fn only_starts_the_selected_services_and_what_they_depend_on() {
    let dir = scratch("up-only");
    let deployment = write(
        &dir,
        "only.nix",
        r#"{
          services.base.process.argv = [ "echo" "base ran" ];
          services.top = { process.argv = [ "echo" "top ran" ]; dependsOn = [ "base" ]; };
          services.other.process.argv = [ "echo" "other ran" ];
        }"#,
    );
    let mut up = Running::up(&[deployment.to_str().unwrap(), "--only", "top"], &dir.join("state"), "up-only");
    assert_eq!(up.wait_exit(LONG), Some(0), "{}", up.text());
    let text = up.text();
    assert!(text.contains("base ran") && text.contains("top ran"), "{}", text);
    assert!(!text.contains("other"), "{}", text);
}

#[test]
fn up_fails_when_a_service_fails() {
    let dir = scratch("up-fails");
    let deployment = write(
        &dir,
        "fails.nix",
        r#"{
          services.good.process.argv = [ "true" ];
          services.bad.process.argv = [ "bash" "-c" "echo giving up >&2; exit 3" ];
        }"#,
    );
    let mut up = Running::up(&[deployment.to_str().unwrap(), "--timestamps"], &dir.join("state"), "up-fails");
    assert_eq!(up.wait_exit(LONG), Some(1), "{}", up.text());
    let text = up.text();
    assert!(text.contains("bad: failed: exit status 3"), "{}", text);
    assert!(text.contains("good: completed successfully"), "{}", text);
    // --timestamps puts the time of day before every line.
    let line = text.lines().find(|l| l.contains("giving up")).expect("the service's line");
    let stamp = line.split_whitespace().next().unwrap();
    assert!(stamp.len() == 12 && stamp.chars().nth(2) == Some(':'), "{}", line);
}
