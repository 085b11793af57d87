# MCollective's own input handling, for the typed-input table (ddl-validation.int.test.ts): reads
# cases as JSON on stdin and prints, for each, what `mco rpc` and MCollective's validator make of it.
#   mode "json": the value as a Ruby JSON reader types it (as Choria's Ruby side and the daemon get it)
#   mode "cli":  a `key=value` argument as `mco rpc` splits and types it (application/rpc.rb)
# then DDL#validate_rpc_request of the rexcheck DDL given as ARGV[0], as the client and daemon run it.
require 'mcollective'
require 'mcollective/application/rpc'
require 'json'

# The validator plugins are found through the config's libdir in a daemon; load Debian's directly.
Dir[File.join(File.dirname($LOADED_FEATURES.grep(%r{/mcollective/validator\.rb\z}).first), 'validator', '*_validator.rb')].each { |f| require f }
module MCollective::Validator
  def self.load_validators; end
end

ddl = MCollective::DDL::AgentDDL.new('rexcheck', :agent, false)
ddl.instance_eval(File.read(ARGV[0]))
action = 'typed'
rpc = MCollective::Application::Rpc.allocate

def typed(value)
  case value
  when Integer then { 'kind' => 'integer', 'text' => value.to_s }
  when Float then { 'kind' => 'float', 'text' => value.to_s }
  when true, false then { 'kind' => 'boolean', 'text' => value.to_s }
  when nil then { 'kind' => 'null', 'text' => '' }
  else { 'kind' => value.class.name.downcase, 'text' => value.to_s }
  end
end

out = JSON.parse(STDIN.read).map do |c|
  result = {}
  if c['mode'] == 'json'
    args = { c['input'].to_sym => JSON.parse("[#{c['text']}]")[0] }
  else
    unless c['text'] =~ /^(.+?)=(.+)$/
      next result.merge('split' => nil)
    end
    result['split'] = [$1, $2]
    args = { $1.to_sym => $2 }
    begin
      rpc.string_to_ddl_type(args, ddl.action_interface(action))
    rescue => e
      next result.merge('parse_error' => e.message)
    end
    result['parsed'] = typed(args.values.first)
  end
  begin
    ddl.validate_rpc_request(action, args)
    result['valid'] = true
  rescue => e
    result['valid'] = false
    result['error'] = e.message
  end
  result
end
puts JSON.generate(out)
