{
  description = "nix2dream: define services once, as NixOS-style modules, and run them anywhere";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    flake-parts.url = "github:hercules-ci/flake-parts";
  };

  outputs = inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      systems = [ "x86_64-linux" "aarch64-linux" ];

      imports = [ ./nix/flake-module.nix ];

      flake = {
        # For flake-parts users: `imports = [ nix2dream.flakeModule ];`
        # gives every system a `deployments.<name>` option.
        flakeModule = ./nix/flake-module.nix;
        # The deployment module alone, to use as a submodule anywhere
        # (`types.submoduleWith { modules = [ nix2dream.standaloneSubmodule ]; }`).
        standaloneSubmodule = ./modules/core;
        # `(nix2dream.lib.evalDeployment ./deployment.nix).config`
        lib = { inherit (import ./modules) evalDeployment; };
      };

      perSystem = { pkgs, self', ... }: {
        packages.default = pkgs.rustPlatform.buildRustPackage {
          pname = "nix2dream";
          version = "0.0.0";
          src = ./.;
          cargoLock.lockFile = ./Cargo.lock;
          cargoBuildFlags = [ "-p" "nix2dream-cli" ];
          # The tests run processes and need python3 and honcho; CI runs them.
          doCheck = false;
          meta = {
            description = "Define services once, as NixOS-style modules, and run them anywhere";
            mainProgram = "nix2dream";
          };
        };

        apps.default = {
          type = "app";
          program = "${self'.packages.default}/bin/nix2dream";
        };

        # The repository's own examples, type checked by `nix flake check`.
        deployments = {
          hello = ./examples/hello;
          web = ./examples/web;
        };
      };
    };
}
