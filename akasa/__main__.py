from akasa.cli import main

main()
