# Character → code point for the ASCII characters a Nix string literal can
# hold: tab, line feed, carriage return and the printable range 32–126.
let
  printable = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
  n = builtins.stringLength printable;
in
builtins.listToAttrs (
  [
    { name = "\t"; value = 9; }
    { name = "\n"; value = 10; }
    { name = "\r"; value = 13; }
  ]
  ++ builtins.genList (i: {
    name = builtins.substring i 1 printable;
    value = 32 + i;
  }) n
)
