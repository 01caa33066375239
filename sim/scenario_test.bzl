"""scenario_tests: one test target per simulator scenario file."""

def scenario_tests(name, srcs, data = [], seed = None, size = "small", tags = [], **kwargs):
    """Makes a cc_test per scenario file in `srcs`, plus a test_suite `name`.

    Each test runs its scenario with a fixed seed (the scenario's own `seed`
    field unless `seed` is given here), reruns it with simultaneous
    independent events reordered and requires the same digest, and fails
    unless every check passes. On failure it prints the seed and the one
    command that replays exactly that run:
        bazel run //:ntpsim -- --scenario=<path> --seed=<n>

    Args:
      name: name of the test_suite grouping the tests.
      srcs: scenario files (*.textproto); the test is named after the file.
      data: files the scenarios read (ntp_conf_file, ...).
      seed: overrides the scenarios' own seeds.
      size: test size (long scenarios belong under bench/ with "manual").
      tags: tags for every test (e.g. ["manual"]).
      **kwargs: passed to every cc_test.
    """
    tests = []
    for src in srcs:
        base = src.split("/")[-1]
        for ext in [".textproto", ".txtpb", ".pbtxt"]:
            if base.endswith(ext):
                base = base[:-len(ext)]
        args = ["--scenario=$(rootpath %s)" % src]
        if seed != None:
            args.append("--seed=%d" % seed)
        native.cc_test(
            name = base,
            size = size,
            args = args,
            data = [src] + data,
            tags = tags,
            deps = ["//sim:scenario_test_main"],
            **kwargs
        )
        tests.append(":" + base)
    native.test_suite(name = name, tests = tests, tags = tags)
