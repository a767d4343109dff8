//! `flink-rs run -t local`: the embedded default, through the real binary.

use flink_it::*;
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(120);

fn wordcount_local(parallelism: u32) {
    let dir = tempfile_dir::Dir::new("flink-it-wc");
    let input = dir.path().join("input.txt");
    let text = generate_text(4 * 1024 * 1024);
    std::fs::write(&input, &text).unwrap();
    let out = dir.path().join("out");
    let output = run_with_timeout(
        Command::new(flink_rs_bin())
            .args([
                "run",
                "-t",
                "local",
                "-p",
                &parallelism.to_string(),
                "example:wordcount",
                "--input",
            ])
            .arg(&input)
            .arg("--output")
            .arg(&out),
        TIMEOUT,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("Job has been submitted with JobID"),
        "{stdout}"
    );
    assert!(
        stdout.contains("switched from RUNNING to FINISHED") || stdout.contains("FINISHED"),
        "{stdout}"
    );
    assert_eq!(
        read_word_counts(&out),
        expected_word_counts(&text),
        "parallelism {parallelism}"
    );
}

#[test]
fn wordcount_on_multi_megabyte_text_matches_independent_count_at_parallelism_1() {
    wordcount_local(1);
}

#[test]
fn wordcount_on_multi_megabyte_text_matches_independent_count_at_parallelism_4() {
    wordcount_local(4);
}

#[test]
fn wordcount_without_input_prints_counts_of_the_bundled_text() {
    let output = run_with_timeout(
        Command::new(flink_rs_bin()).args(["run", "-t", "local", "example:wordcount"]),
        TIMEOUT,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = expected_word_counts(flink_examples::wordcount::BUNDLED_TEXT);
    assert_eq!(expected.get("to"), Some(&15));
    assert!(
        stdout.contains(&format!("(\"to\", {})", expected["to"])),
        "{stdout}"
    );
}

fn one_line_error(args: &[&str]) -> String {
    let output = run_with_timeout(Command::new(flink_rs_bin()).args(args), TIMEOUT);
    assert!(!output.status.success(), "expected failure for {args:?}");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("Error: "))
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "expected one 'Error: ' line for {args:?}, got:\n{stderr}"
    );
    errors[0].to_string()
}

#[test]
fn a_missing_input_file_is_a_one_line_error() {
    let e = one_line_error(&[
        "run",
        "-t",
        "local",
        "example:wordcount",
        "--input",
        "/nonexistent/flink-it/input.txt",
    ]);
    assert!(e.contains("/nonexistent/flink-it/input.txt"), "{e}");
}

#[test]
fn an_unknown_example_is_a_one_line_error_listing_the_examples() {
    let e = one_line_error(&["run", "-t", "local", "example:nope"]);
    assert!(
        e.contains("example:nope") && e.contains("example:wordcount"),
        "{e}"
    );
}

#[test]
fn an_unreachable_jobmanager_is_a_one_line_error_naming_the_address() {
    let port = free_port();
    let e = one_line_error(&[
        "run",
        "-m",
        &format!("127.0.0.1:{port}"),
        "example:wordcount",
    ]);
    assert!(e.contains(&format!("127.0.0.1:{port}")), "{e}");
}

#[test]
fn an_invalid_config_value_is_a_one_line_error_naming_the_key() {
    let e = one_line_error(&[
        "run",
        "-t",
        "local",
        "-D",
        "taskmanager.numberOfTaskSlots=many",
        "example:wordcount",
    ]);
    assert!(
        e.contains("taskmanager.numberOfTaskSlots") && e.contains("many"),
        "{e}"
    );
}

#[test]
fn a_panicking_operator_fails_the_job_with_its_message() {
    let output = run_with_timeout(
        Command::new(bundle_bin()).args([
            "run",
            "-t",
            "local",
            "-D",
            "restart-strategy.type=none",
            "panic",
            "--panic-at",
            "777",
        ]),
        TIMEOUT,
    );
    assert!(!output.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(all.contains("boom: record 777 is cursed"), "{all}");
    assert!(all.contains("Cursed Map"), "{all}");
}

#[test]
fn info_prints_the_plan_with_chaining() {
    let output = run_with_timeout(
        Command::new(flink_rs_bin()).args(["info", "-p", "2", "example:wordcount"]),
        TIMEOUT,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("HASH"),
        "key_by must show a HASH edge: {stdout}"
    );
    assert!(stdout.contains("Tokenizer"), "{stdout}");
}
