# fish completion for glmctl (glmctl completion fish)
function __glmctl_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l answers (env _GLMCTL_COMPLETE=fish $words[1] $words[2..-1] 2>/dev/null)
    if test "$answers[1]" = ":files"
        __fish_complete_path (commandline -ct)
    else
        printf '%s\n' $answers
    end
end
complete -c glmctl -f -a '(__glmctl_complete)'
