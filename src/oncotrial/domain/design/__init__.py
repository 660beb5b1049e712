"""Trial design and simulation: exact phase II designs, survival sample sizes, group-sequential
boundaries and whole-trial simulation (see docs/design.md).

Start with::

    from oncotrial.domain.design.simon import compute_simon_designs
    from oncotrial.domain.design.survival import compute_survival_sample_size
    from oncotrial.domain.design.simulation import simulate_two_arm_trials
"""
