# The N services of benches/deployment.nix: one module, two definitions of
# each service (merged by the module system), one volume each, a port on
# every third, a user on every fourth.
{ n }:
{ lib, ... }:
let
  gen = f: builtins.listToAttrs (lib.genList (i: lib.nameValuePair "svc${toString i}" (f i "svc${toString i}")) n);
in
{
  services = lib.mkMerge [
    (gen (i: name: {
      package = "server";
      args = [ "--name" name ];
      env.NAME = name;
      volumes.data.path = "/srv/${name}";
      port = if lib.mod i 3 == 0 then 10000 + lib.mod i 50000 else null;
    }))
    (gen (i: name: {
      args = lib.mkAfter [ "--verbose" ];
      env.MODE = lib.mkDefault "prod";
      replicas = 1 + lib.mod i 3;
      user = lib.mkIf (lib.mod i 4 == 0) "app";
      volumes.data.persisting = lib.mod i 2 == 0;
    }))
  ];
}
