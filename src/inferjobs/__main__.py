from inferjobs.cli import main

main()
