from despacho.cli import main

main()
