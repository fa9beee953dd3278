"""`localed build --demo-seed N`: another synthetic population, recorded in the run's settings (the
manifest's `settings.demo_config`), and replayed by `localed reproduce`."""

from orchestration.cli import command_line
from orchestration.demo.generator import DemoConfig, generate
from orchestration.fingerprint import run_settings
from orchestration.resources import LocalEDResource

SMALL = [391, 879]


def resource(**kwargs) -> LocalEDResource:
    return LocalEDResource(source="demo", demo_la_codes=SMALL, **kwargs)


def test_the_seed_reaches_the_demo_and_the_manifest_settings():
    assert resource().demo_config().seed == DemoConfig().seed
    seeded = resource(demo_seed=7)
    assert seeded.demo_config().seed == 7
    assert run_settings(seeded)["demo_config"]["seed"] == 7
    assert seeded.demo_config().fingerprint() != resource().demo_config().fingerprint()  # its own cached demo


def test_another_seed_writes_another_demo(tmp_path):
    files = {}
    for seed in (DemoConfig().seed, 7):
        root = generate(tmp_path / str(seed), DemoConfig(seed=seed, la_codes=tuple(SMALL)))
        files[seed] = (root / "2018-2019" / "england_ks2final.csv").read_bytes()
    assert files[DemoConfig().seed] != files[7]


def test_the_cli_passes_the_flag_on():
    assert command_line().parse_args(["build", "--demo-seed", "7"]).demo_seed == 7
    assert command_line().parse_args(["build"]).demo_seed == 0  # 0: the documented demo's seed
