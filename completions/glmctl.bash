# bash completion for glmctl (glmctl completion bash)
_glmctl_complete() {
    local cur="${COMP_WORDS[COMP_CWORD]}" line
    local -a answers=()
    while IFS= read -r line; do answers+=("$line"); done < <(
        _GLMCTL_COMPLETE=bash "${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null
    )
    if [[ "${answers[0]}" == ":files" ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
        compopt -o filenames 2>/dev/null
    else
        COMPREPLY=("${answers[@]}")
    fi
}
complete -o default -F _glmctl_complete glmctl
