from govdata.cli import main

main()
