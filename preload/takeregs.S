/* SPDX-License-Identifier: MIT */
/*
 * ft_take_regs(regs): the caller's callee-saved registers, its stack
 * pointer and its instruction pointer as they are when this returns (rbx,
 * rbp, r12-r15, rsp, rip, in that order): what an unwinder needs to start
 * in the caller. forkstack.c keeps them with a copy of the stack at each
 * fork, and unwinds them later only for a child that is reported.
 */
#if defined(__x86_64__)
	.text
	.globl	ft_take_regs
	.hidden	ft_take_regs
	.type	ft_take_regs, @function
	.p2align 4
ft_take_regs:
	.cfi_startproc
	movq	%rbx, 0(%rdi)
	movq	%rbp, 8(%rdi)
	movq	%r12, 16(%rdi)
	movq	%r13, 24(%rdi)
	movq	%r14, 32(%rdi)
	movq	%r15, 40(%rdi)
	leaq	8(%rsp), %rax
	movq	%rax, 48(%rdi)
	movq	(%rsp), %rax
	movq	%rax, 56(%rdi)
	ret
	.cfi_endproc
	.size	ft_take_regs, .-ft_take_regs
#endif
	.section .note.GNU-stack, "", @progbits
