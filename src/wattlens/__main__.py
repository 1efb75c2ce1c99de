from wattlens.cli import main

main()
