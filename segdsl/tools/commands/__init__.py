"""The commands of the command line, one module per group; each registers its commands on `cli.app`.

    authoring   check, fmt, explain, test, compile, dialects
    running     run, report
    history     snapshot, history, diff
    activation  export
    setup       demo, lsp
"""
