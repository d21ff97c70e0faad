# The original nix2dream's `hello` deployment, ported to a program on this
# machine: two greeters run the same package with different arguments,
# and the first takes part of its greeting from the environment.
#
# Run it:  nix2dream up examples/hello
let
  # A package as nix2dream's seed used them: anything with an `outPath`;
  # the program is `${outPath}/bin/${meta.mainProgram}`. This one is a
  # stand-in for GNU hello (`hello -g GREETING`) that ships with the example.
  hello = {
    pname = "hello";
    name = "hello-2.12";
    outPath = toString ./package;
    meta.mainProgram = "hello";
  };
in
{
  services = {
    hello = {
      service = {
        package = hello;
        # Shell words: the entrypoint runs `hello -g "Hello there, $GENERAL!"`,
        # so $GENERAL is expanded from `env` and the greeting is one argument.
        args = [ "-g" ''"Hello there, $GENERAL!"'' ];
        env.GENERAL = "General Kenobi";
      };
    };
    other-service = {
      service.package = hello;
      service.args = [ "-g" ''"Hello from the other service!"'' ];
    };
  };
}
