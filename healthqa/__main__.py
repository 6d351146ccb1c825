from healthqa.cli import main

main()
