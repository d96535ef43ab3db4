"""Smoke test of the benchmark modules at their smallest sizes: the output structure and the results table, not
timings (benchmarks are never timed tests)."""
import json

from bench import bench_e2e, bench_edit, bench_jacobian, bench_scaling, bench_svm, run_all


def _run(mod, tmp_path, *argv):
    out = tmp_path / f"{mod.__name__.split('.')[-1]}.json"
    mod.main([*map(str, argv), "--json", str(out)])
    return json.loads(out.read_text())


def test_bench_modules_smallest_configurations(tmp_path):
    svm = _run(bench_svm, tmp_path, "--n", 24, "--shape", 4, 4, 4, "--repeats", 1)
    assert set(svm["routes"]) == {"gram", "svc", "linear_svc"} and svm["d"] == 64
    assert svm["routes"]["svc"]["abs_cos_to_gram"] > 0.99  # the same libsvm problem, solved two ways

    edit = _run(bench_edit, tmp_path, "--models", "sd15", "--spaces", "x", "--repeats", 1, "--steps", 3, "--batch", 1)
    (row,) = edit["rows"]
    assert row["space"] == "x" and row["ratio"] > 0 and row["edit_changed_output"] and row["split_step"] == 1

    jac = _run(bench_jacobian, tmp_path, "--models", "sd15", "--sd15-hw", 8, "--ks", 1, "--iters", 2)
    (m,) = jac["models"]
    assert m["h_shape"] == [64, 4, 4] and m["rows"][0]["sequential_s"] > 0

    plot = tmp_path / "scaling.png"
    sc = _run(bench_scaling, tmp_path, "--ns", 2, 3, "--steps", 2, "--fixed-n", 2, "--fixed-steps", 2, "--pca-hw", 8,
              "--ks", 1, "--hws", 8, "--jac-iters", 1, "--plot", plot)
    assert [r["n"] for r in sc["pca"]["vs_n"]] == [2, 3] and sc["jacobian"]["by_hw"][0]["rows"][0]["per_iter_s"] > 0
    assert plot.stat().st_size > 1000

    e2e = {"startup_s": 7.0, "rows": [{"workflow": "a.json", "runs_s": [61.0], "first_s": 61.0, "median_s": 61.0,
                                       "ok": True, "error": None, "target_s": 60.0}]}
    lines = (run_all.svm_rows(svm) + run_all.edit_rows(edit) + run_all.jacobian_rows(jac) + run_all.scaling_rows(sc)
             + run_all.e2e_rows(e2e))
    assert all(line.startswith("| ") and line.count(" | ") == 2 for line in lines), lines
    assert "**missed**" in lines[-1] and "**missed**" not in lines[-2]


def test_e2e_server_seconds():
    entry = {"status": {"messages": [["execution_start", {"timestamp": 1000}], ["execution_success",
                                                                                 {"timestamp": 3500}]]}}
    assert bench_e2e.server_seconds(entry) == 2.5 and bench_e2e.server_seconds({}) is None
